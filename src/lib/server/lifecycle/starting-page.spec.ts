import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startingPage } from './starting-page';

describe('startingPage', () => {
	it('is a 503 that reloads, allows only its own style by hash, and carries no script', async () => {
		const res = startingPage({ hostname: 'dev-1', service: 'web' });
		expect(res.status).toBe(503);
		expect(res.headers.get('cache-control')).toBe('no-store');
		const html = await res.text();
		expect(html).toContain('<h1>Starting dev-1…</h1>');
		expect(html).toContain('<meta http-equiv="refresh" content="2">');
		expect(html).not.toMatch(/<script|\son\w+=/i);
		const style = html.match(/<style>([^<]*)<\/style>/)![1];
		const hash = crypto.createHash('sha256').update(style).digest('base64');
		expect(res.headers.get('content-security-policy')).toBe(`default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
	});

	it('escapes what it names, and a HEAD gets no body', async () => {
		expect(await startingPage({ hostname: '<b>', service: '"&' }).text()).toContain('&#60;b&#62;');
		expect(await startingPage({ hostname: 'a', service: 'b' }, 'HEAD').text()).toBe('');
	});
});
