import { describe, expect, it } from 'vitest';
import { createActivity } from './activity';

function clockAt(t: number) {
	const c = { t, now: () => c.t };
	return c;
}

describe('activity', () => {
	it('counts from its own start, moves with touches, holds and their release', () => {
		const clock = clockAt(1000);
		const a = createActivity(clock);
		expect(a.lastActivity('e')).toBe(1000);
		clock.t = 2000;
		a.touch('e', 'service');
		expect(a.lastActivity('e')).toBe(2000);
		clock.t = 3000;
		const release = a.hold('e', 'terminal');
		const second = a.hold('e', 'terminal');
		expect(a.held('e')).toEqual(['terminal']);
		clock.t = 9000;
		release();
		release();
		expect(a.held('e')).toEqual(['terminal']);
		second();
		expect(a.held('e')).toEqual([]);
		expect(a.lastActivity('e')).toBe(9000);
	});

	it('keeps kinds and environments apart', () => {
		const a = createActivity(clockAt(0));
		const t = a.hold('e1', 'task');
		a.hold('e1', 'gateway');
		expect(a.held('e1').sort()).toEqual(['gateway', 'task']);
		expect(a.held('e2')).toEqual([]);
		t();
		expect(a.held('e1')).toEqual(['gateway']);
	});
});
