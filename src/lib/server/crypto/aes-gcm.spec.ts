import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, seal } from './aes-gcm';

const key = crypto.randomBytes(32);
const aad = Buffer.from('meta');

describe('aes-gcm', () => {
	it('round-trips', () => {
		const s = seal(key, 'secret', aad);
		expect(s.tag.length).toBe(16);
		expect(open(key, s, aad).toString()).toBe('secret');
	});

	it.each([4, 8, 12, 15])('refuses a tag truncated to %i bytes (Node alone would check only that prefix)', (n) => {
		const s = seal(key, 'secret', aad);
		expect(() => open(key, { ...s, tag: s.tag.subarray(0, n) }, aad)).toThrow(/16 bytes/);
		// The proof that the length check matters: plain Node accepts the truncated tag.
		const lax = crypto.createDecipheriv('aes-256-gcm', key, s.iv);
		lax.setAAD(aad);
		lax.setAuthTag(s.tag.subarray(0, Math.max(n, 4)));
		expect(Buffer.concat([lax.update(s.data), lax.final()]).toString()).toBe('secret');
	});

	it('refuses other AAD, data or tag', () => {
		const s = seal(key, 'secret', aad);
		expect(() => open(key, s, Buffer.from('other'))).toThrow();
		const flipped = Buffer.from(s.tag);
		flipped[0] ^= 1;
		expect(() => open(key, { ...s, tag: flipped }, aad)).toThrow();
		expect(() => open(crypto.randomBytes(32), s, aad)).toThrow();
	});
});
