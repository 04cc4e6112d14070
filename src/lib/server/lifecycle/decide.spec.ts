import { describe, expect, it } from 'vitest';
import { decide, type EnvFacts } from './decide';
import type { ScheduleWindow } from './schedule';

const MIN = 60_000;
// Local time: schedules are read in the server's time zone. Monday 7 Dec 2026.
const at = (h: number, m = 0, day = 7) => new Date(2026, 11, day, h, m).getTime();
const NOW = at(12);
const WORKDAYS: ScheduleWindow[] = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', stop: '19:00' }];

const base: EnvFacts = { status: 'running', busy: false, held: [], lastActivity: NOW - 10 * MIN, idleStopMinutes: 30, schedule: [] };

describe('decide', () => {
	const cases: Array<[string, Partial<EnvFacts>, number, number, ReturnType<typeof decide>]> = [
		['idle for less than its idle time: left alone', {}, NOW - MIN, NOW, { action: 'none' }],
		['idle exactly its idle time: stopped', { lastActivity: NOW - 30 * MIN }, NOW - MIN, NOW, { action: 'stop', reason: 'idle', detail: 'idle 30 minutes' }],
		['idle 1 minute setting says minute', { lastActivity: NOW - 5 * MIN, idleStopMinutes: 1 }, NOW - MIN, NOW, { action: 'stop', reason: 'idle', detail: 'idle 1 minute' }],
		['idle stop off (0): never stopped', { lastActivity: 0, idleStopMinutes: 0 }, NOW - MIN, NOW, { action: 'none' }],
		['open terminal holds it', { lastActivity: 0, held: ['terminal'] }, NOW - MIN, NOW, { action: 'none' }],
		['running task holds it', { lastActivity: 0, held: ['task'] }, NOW - MIN, NOW, { action: 'none' }],
		['gateway session holds it', { lastActivity: 0, held: ['gateway'] }, NOW - MIN, NOW, { action: 'none' }],
		['a job on it (provisioning, a start): never touched', { lastActivity: 0, busy: true }, NOW - MIN, NOW, { action: 'none' }],
		['already stopped: nothing to stop', { lastActivity: 0, status: 'stopped' }, NOW - MIN, NOW, { action: 'none' }],
		['in error: left to a person', { lastActivity: 0, status: 'error' }, NOW - MIN, NOW, { action: 'none' }],
		['scheduled start passed, stopped: started', { status: 'stopped', schedule: WORKDAYS }, at(7, 59), at(8, 0), { action: 'start', reason: 'schedule', detail: 'scheduled start at 08:00' }],
		['scheduled start passed, already running: none', { schedule: WORKDAYS }, at(7, 59), at(8, 1), { action: 'none' }],
		['scheduled start on a day not listed: none', { status: 'stopped', schedule: WORKDAYS }, at(7, 59, 6), at(8, 0, 6), { action: 'none' }],
		['scheduled stop passed, unused: stopped', { schedule: WORKDAYS }, at(18, 59), at(19, 0), { action: 'stop', reason: 'schedule', detail: 'scheduled stop at 19:00' }],
		['scheduled stop passed while in use: left running', { schedule: WORKDAYS, held: ['terminal'] }, at(18, 59), at(19, 0), { action: 'none' }],
		['scheduled stop not reached yet: none', { schedule: WORKDAYS, lastActivity: at(18, 50) }, at(18, 58), at(18, 59), { action: 'none' }],
		['scheduled stop passed but busy: none', { schedule: WORKDAYS, busy: true }, at(18, 59), at(19, 0), { action: 'none' }],
		[
			'stop and later start both passed: the start counts',
			{ status: 'stopped', schedule: [{ days: ['mon'], start: '12:00', stop: '11:00' }] },
			at(10, 0),
			at(12, 0),
			{ action: 'start', reason: 'schedule', detail: 'scheduled start at 12:00' }
		]
	];
	for (const [name, facts, from, now, want] of cases) {
		it(name, () => expect(decide({ ...base, ...facts }, from, now)).toEqual(want));
	}
});
