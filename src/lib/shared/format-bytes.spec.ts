import { describe, expect, it } from 'vitest';
import { formatBytes } from './format-bytes';

describe('formatBytes', () => {
	it('prints bytes below 1 KiB as whole bytes', () => {
		expect(formatBytes(0)).toBe('0 B');
		expect(formatBytes(1023)).toBe('1023 B');
	});
	it('prints one decimal below 10 of a unit and whole numbers from 10 up', () => {
		expect(formatBytes(1024)).toBe('1.0 KiB');
		expect(formatBytes(1536)).toBe('1.5 KiB');
		expect(formatBytes(10 * 1024)).toBe('10 KiB');
		expect(formatBytes(256 * 1024 + 1)).toBe('256 KiB');
		expect(formatBytes(1024 * 1024)).toBe('1.0 MiB');
		expect(formatBytes(64 * 1024 * 1024)).toBe('64 MiB');
		expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
		expect(formatBytes(2048 * 1024 ** 4)).toBe('2048 TiB');
	});
	it('keeps the sign of a negative difference', () => {
		expect(formatBytes(-1536)).toBe('-1.5 KiB');
	});
	it('prints a dash for a missing or non-finite value', () => {
		expect(formatBytes(null)).toBe('—');
		expect(formatBytes(undefined)).toBe('—');
		expect(formatBytes(NaN)).toBe('—');
		expect(formatBytes(Infinity)).toBe('—');
	});
});
