import { describe, expect, it } from 'vitest';
import { safeNext, readJsonBody } from './http';

describe('safeNext', () => {
	it.each([
		[null, '/'],
		['/environments', '/environments'],
		['//evil.com', '/'],
		['/\\evil.com', '/'],
		['https://evil.com', '/'],
		['environments', '/'],
		['/environments/abc?tab=2#x', '/environments/abc?tab=2#x'],
		// What /login?next=/%09/evil.example decodes to: the browser drops the tab and reads //evil.example.
		['/\t/evil.example', '/'],
		['/\n/evil.example', '/'],
		['/\r\n/evil.example', '/'],
		['/%09/evil.example', '/%09/evil.example'],
		['//evil', '/'],
		['///evil', '/'],
		['/\\evil', '/'],
		['\\/evil', '/'],
		['javascript:alert(1)', '/'],
		['/javascript:alert(1)', '/javascript:alert(1)'],
		['data:text/html,x', '/'],
		['/\u0000', '/'],
		['/\u0085/evil', '/'],
		['/' + 'a'.repeat(3000), '/'],
		['/a/../../b', '/b']
	])('%j -> %j', (input, out) => expect(safeNext(input)).toBe(out));
});

describe('readJsonBody', () => {
	const req = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => new Request('http://x/', { method: 'POST', body, headers });
	it('parses an object', async () => {
		expect(await readJsonBody(req('{"a":1}'))).toEqual({ a: 1 });
	});
	it('refuses malformed JSON, arrays and oversized bodies', async () => {
		await expect(readJsonBody(req('{'))).rejects.toThrow(/not valid JSON/);
		await expect(readJsonBody(req('[1]'))).rejects.toThrow(/JSON object/);
		await expect(readJsonBody(req('"' + 'x'.repeat(100) + '"'), 10)).rejects.toThrow(/larger than/);
		await expect(readJsonBody(req('{"a":1}', { 'content-type': 'text/plain' }))).rejects.toThrow(/as JSON/);
	});
});
