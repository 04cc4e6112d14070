import { describe, expect, it } from 'vitest';
import { busyMs } from './provision-ct-clock';

const c = (start: number, end: number) => ({ start, end, what: '' });

describe('busyMs', () => {
	it.each([
		['no commands', [], 0, 100, 0],
		['one inside the window', [c(10, 30)], 0, 100, 20],
		['overlapping commands count once', [c(10, 30), c(20, 50)], 0, 100, 40],
		['one inside another', [c(10, 60), c(20, 30)], 0, 100, 50],
		['clipped to the window', [c(-50, 20), c(90, 150)], 0, 100, 30],
		['unsorted input', [c(70, 80), c(10, 20)], 0, 100, 20],
		['outside the window', [c(200, 300)], 0, 100, 0]
	])('%s', (_what, commands, from, to, expected) => expect(busyMs(commands, from, to)).toBe(expected));
});
