import { describe, expect, it } from 'vitest';
import { momentsBetween, type ScheduleWindow } from './schedule';

const at = (day: number, h: number, m = 0) => new Date(2026, 11, day, h, m).getTime();
const S: ScheduleWindow[] = [
	{ days: ['mon', 'wed'], start: '08:00', stop: '19:00' },
	{ days: ['sat'], start: '10:30' }
];

describe('momentsBetween', () => {
	const cases: Array<[string, number, number, Array<[string, number]>]> = [
		['nothing in an empty span', at(7, 8), at(7, 8), []],
		['the start of a listed day, end inclusive', at(7, 7, 59), at(7, 8), [['start', at(7, 8)]]],
		['the beginning of the span is exclusive', at(7, 8), at(7, 9), []],
		['a day not listed has none', at(8, 0), at(8, 23, 59), []],
		[
			'a whole Monday: start then stop',
			at(7, 0),
			at(7, 23),
			[
				['start', at(7, 8)],
				['stop', at(7, 19)]
			]
		],
		['a window with only a start', at(12, 10), at(12, 11), [['start', at(12, 10, 30)]]],
		[
			'a week-long span keeps every moment of its last week',
			at(6, 0),
			at(13, 0),
			[
				['start', at(7, 8)],
				['stop', at(7, 19)],
				['start', at(9, 8)],
				['stop', at(9, 19)],
				['start', at(12, 10, 30)]
			]
		]
	];
	for (const [name, from, to, want] of cases) {
		it(name, () => expect(momentsBetween(S, from, to).map((m) => [m.action, m.at])).toEqual(want));
	}
});
