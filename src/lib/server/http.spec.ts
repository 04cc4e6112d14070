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

	// A body declared too large: read and dropped before the 413 while it is modest (so the client reads the
	// answer instead of a reset socket), left unread when it is huge.
	const declaredBody = (chunks: number, chunkBytes: number) => {
		let pulled = 0;
		const body = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (pulled === chunks) return controller.close();
				pulled++;
				controller.enqueue(new Uint8Array(chunkBytes));
			}
		});
		const request = new Request('http://x/', {
			method: 'POST',
			body,
			duplex: 'half',
			headers: { 'content-type': 'application/json', 'content-length': String(chunks * chunkBytes) }
		} as RequestInit);
		return { request, pulled: () => pulled };
	};
	it('drains a modestly oversized body before refusing it', async () => {
		const { request, pulled } = declaredBody(10, 10 * 1024);
		await expect(readJsonBody(request)).rejects.toThrow(/larger than 65536 bytes/);
		expect(pulled()).toBe(10);
	});
	it('refuses a huge declared body without reading it', async () => {
		const { request, pulled } = declaredBody(200, 10 * 1024);
		await expect(readJsonBody(request)).rejects.toThrow(/larger than/);
		expect(pulled()).toBeLessThanOrEqual(1);
	});
});
