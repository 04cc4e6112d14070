import { describe, expect, it } from 'vitest';
import { CLOSE, LIMITS, backoffDelay, encodeControl, isRetryableClose, parseClientControl, parseConnectParams, parseServerControl, type ServerControl } from './terminal-protocol';

describe('parseClientControl', () => {
	it.each([
		['{"type":"resize","cols":120,"rows":40}', { type: 'resize', cols: 120, rows: 40 }],
		['{"type":"resize","cols":0,"rows":0}', { type: 'resize', cols: 1, rows: 1 }],
		['{"type":"resize","cols":100000,"rows":100000}', { type: 'resize', cols: 1000, rows: 500 }],
		['{"type":"resize","cols":-5,"rows":24}', { type: 'resize', cols: 1, rows: 24 }],
		['{"type":"resize","cols":1000,"rows":500,"extra":true}', { type: 'resize', cols: 1000, rows: 500 }]
	])('accepts and clamps %s', (text, expected) => {
		expect(parseClientControl(text)).toEqual({ ok: true, value: expected });
	});

	it.each([
		['not json', 'not JSON'],
		['', 'not JSON'],
		['null', 'object'],
		['[1,2]', 'object'],
		['"resize"', 'object'],
		['{"type":"resize","cols":"80","rows":24}', 'integer'],
		['{"type":"resize","cols":80.5,"rows":24}', 'integer'],
		['{"type":"resize","cols":80}', 'integer'],
		['{"type":"resize","cols":1e400,"rows":24}', 'integer'],
		['{"type":"exec","cmd":"rm -rf /"}', 'unknown'],
		['{}', 'unknown']
	])('rejects %s', (text, fragment) => {
		const r = parseClientControl(text);
		expect(r.ok).toBe(false);
		if (!r.ok) expect(r.error).toContain(fragment);
	});

	it('rejects oversize messages before parsing, counting bytes', () => {
		const big = JSON.stringify({ type: 'resize', cols: 80, rows: 24, pad: 'x'.repeat(LIMITS.maxControlBytes) });
		expect(parseClientControl(big)).toMatchObject({ ok: false, error: expect.stringContaining('larger') });
		// 1500 three-byte characters: under 4096 UTF-16 units, over 4096 bytes.
		const wide = JSON.stringify({ type: 'resize', cols: 80, rows: 24, pad: '€'.repeat(1500) });
		expect(wide.length).toBeLessThan(LIMITS.maxControlBytes);
		expect(parseClientControl(wide).ok).toBe(false);
	});
});

describe('parseConnectParams', () => {
	it.each([
		['window=2&cols=100&rows=30', { window: 2, cols: 100, rows: 30 }],
		['', { window: null, cols: 80, rows: 24 }],
		['window=0&cols=0&rows=99999', { window: 0, cols: 1, rows: 500 }]
	])('%s', (qs, expected) => {
		expect(parseConnectParams(new URLSearchParams(qs))).toEqual({ ok: true, value: expected });
	});

	it.each(['window=-1', 'window=abc', 'window=1e3', 'cols=wide', 'rows=1.5', 'window=12345678'])('rejects %s', (qs) => {
		expect(parseConnectParams(new URLSearchParams(qs)).ok).toBe(false);
	});
});

describe('close codes', () => {
	it.each([
		[CLOSE.NORMAL, false],
		[CLOSE.UNAUTHENTICATED, false],
		[CLOSE.FORBIDDEN, false],
		[CLOSE.NOT_FOUND, false],
		[CLOSE.CONFLICT, false],
		[CLOSE.BAD_REQUEST, false],
		[CLOSE.GOING_AWAY, true],
		[1006, true],
		[CLOSE.INTERNAL, true],
		[CLOSE.SSH_LOST, true]
	])('isRetryableClose(%i) = %s', (code, expected) => {
		expect(isRetryableClose(code)).toBe(expected);
	});
});

describe('server control', () => {
	it('round-trips every message kind', () => {
		const msgs: ServerControl[] = [
			{ type: 'ready', window: 1, windows: [{ index: 1, name: 'a', active: true, id: '@3' }] },
			{ type: 'status', state: 'disconnected', message: 'lost' },
			{ type: 'exit', code: 0 },
			{ type: 'error', code: 'not_found', message: 'no such window' }
		];
		for (const m of msgs) expect(parseServerControl(encodeControl(m))).toEqual({ ok: true, value: m });
	});

	it('rejects malformed server messages', () => {
		expect(parseServerControl('{').ok).toBe(false);
		expect(parseServerControl('{"type":"status","state":"weird"}').ok).toBe(false);
		expect(parseServerControl('{"type":"ready"}').ok).toBe(false);
	});
});

describe('helpers', () => {
	it('backs off exponentially with bounded jitter', () => {
		expect(backoffDelay(0, 500, 15_000, () => 0)).toBe(250);
		expect(backoffDelay(0, 500, 15_000, () => 1)).toBe(500);
		expect(backoffDelay(3, 500, 15_000, () => 1)).toBe(4000);
		expect(backoffDelay(30, 500, 15_000, () => 1)).toBe(15_000);
		expect(backoffDelay(30, 500, 15_000, () => 0)).toBe(7500);
	});
});
