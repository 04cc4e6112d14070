import { describe, expect, it } from 'vitest';
import { specSchema } from './schema';

const problems = (lifecycle: unknown) => {
	const r = specSchema.safeParse({ lifecycle });
	return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('spec.lifecycle', () => {
	const good: Array<[string, unknown]> = [
		['idle time only', { idle_stop_minutes: 45 }],
		['idle stop off', { idle_stop_minutes: 0 }],
		['a workday schedule', { schedule: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', stop: '19:00' }] }],
		['a stop only', { schedule: [{ days: ['fri'], stop: '23:59' }] }]
	];
	for (const [name, value] of good) it(`accepts ${name}`, () => expect(problems(value)).toEqual([]));

	const bad: Array<[string, unknown, string]> = [
		['negative idle time', { idle_stop_minutes: -1 }, 'lifecycle.idle_stop_minutes'],
		['a fractional idle time', { idle_stop_minutes: 1.5 }, 'lifecycle.idle_stop_minutes'],
		['an unknown day', { schedule: [{ days: ['monday'], start: '08:00' }] }, 'lifecycle.schedule.0.days.0: must be one of sun, mon, tue, wed, thu, fri, sat'],
		['no day', { schedule: [{ days: [], start: '08:00' }] }, 'lifecycle.schedule.0.days: must name at least one day'],
		['a day twice', { schedule: [{ days: ['mon', 'mon'], start: '08:00' }] }, 'lifecycle.schedule.0.days: must not name a day twice'],
		['a 12-hour time', { schedule: [{ days: ['mon'], start: '8:00' }] }, 'lifecycle.schedule.0.start: must be a 24-hour time'],
		['24:00', { schedule: [{ days: ['mon'], stop: '24:00' }] }, 'lifecycle.schedule.0.stop: must be a 24-hour time'],
		['neither start nor stop', { schedule: [{ days: ['mon'] }] }, 'lifecycle.schedule.0: needs start, stop or both'],
		['start equal to stop', { schedule: [{ days: ['mon'], start: '08:00', stop: '08:00' }] }, 'lifecycle.schedule.0.stop: must differ from start'],
		['an unknown key', { idle_minutes: 5 }, 'lifecycle']
	];
	for (const [name, value, want] of bad) it(`refuses ${name}`, () => expect(problems(value).join('\n')).toContain(want));
});
