import { describe, expect, it } from 'vitest';
import { visibleText } from './terminal-text';

describe('visibleText', () => {
	it('keeps a bare echo', () => {
		expect(visibleText('a')).toBe('a');
	});
	it('drops cursor moves, mode switches, OSC titles and charset designations around it', () => {
		expect(visibleText('\x1b[?25l\x1b[12;5Ha\x1b[?25h')).toBe('a');
		expect(visibleText('\x1b]0;title\x07a')).toBe('a');
		expect(visibleText('\x1b]2;t\x1b\\a\x1b(B\x1b[m')).toBe('a');
		expect(visibleText('\x1b=\x1b>a')).toBe('a');
	});
	it('drops an escape sequence cut off at the end (its rest is still on the way)', () => {
		expect(visibleText('a\x1b')).toBe('a');
		expect(visibleText('a\x1b[?2')).toBe('a');
		expect(visibleText('a\x1b]0;tit')).toBe('a');
		expect(visibleText('\x1b[?25')).toBe('');
	});
	it('keeps other visible output, so a redraw or status line is not taken for the echo', () => {
		expect(visibleText('\x1b[40;1H[0] 0:bash* "host" 12:00')).toBe('[0] 0:bash* "host" 12:00');
		expect(visibleText('ba')).toBe('ba');
		expect(visibleText('\r\n$ a')).toBe('\r\n$ a');
	});
});
