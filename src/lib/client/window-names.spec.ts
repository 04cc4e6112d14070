import { describe, expect, it } from 'vitest';
import { nextWindowName } from './window-names';

describe('nextWindowName', () => {
	it('numbers new windows by position, so two new tabs are never both "bash"', () => {
		expect(nextWindowName(['bash'])).toBe('shell 2');
		const second = nextWindowName(['bash', 'shell 2']);
		expect(second).toBe('shell 3');
		expect(new Set(['bash', 'shell 2', second]).size).toBe(3);
	});
	it('skips names already taken (a window renamed, or one closed in between)', () => {
		expect(nextWindowName(['bash', 'shell 3'])).toBe('shell 4');
		expect(nextWindowName(['shell 2', 'shell 3', 'vim'])).toBe('shell 4');
		expect(nextWindowName([])).toBe('shell 2');
	});
});
