import { describe, expect, it } from 'vitest';
import { isPageLoad, madeByServiceOrigin, mayIssueWithoutAsking, safeTarget, type RequestMeta } from './rules';

const ORIGIN = 'https://web--h1.example.com';
const meta = (m: Partial<RequestMeta>): RequestMeta => ({ method: 'GET', secFetchSite: null, secFetchMode: null, origin: null, accept: null, ...m });

describe('madeByServiceOrigin (Sec-Fetch-Site / Origin)', () => {
	it("accepts the service's own requests and ones the person typed", () => {
		expect(madeByServiceOrigin(meta({ secFetchSite: 'same-origin', origin: ORIGIN, method: 'POST' }), ORIGIN)).toBe(true);
		expect(madeByServiceOrigin(meta({ secFetchSite: 'none' }), ORIGIN)).toBe(true);
		// WebSocket upgrade from its own page.
		expect(madeByServiceOrigin(meta({ secFetchSite: 'same-origin', secFetchMode: 'websocket', origin: ORIGIN }), ORIGIN)).toBe(true);
		// A client without fetch metadata and no Origin (plain GET).
		expect(madeByServiceOrigin(meta({}), ORIGIN)).toBe(true);
	});
	it('refuses requests another origin makes, sibling services included', () => {
		expect(madeByServiceOrigin(meta({ secFetchSite: 'same-site', origin: 'https://web--h2.example.com' }), ORIGIN)).toBe(false);
		expect(madeByServiceOrigin(meta({ secFetchSite: 'cross-site' }), ORIGIN)).toBe(false);
		expect(madeByServiceOrigin(meta({ secFetchSite: 'same-site', secFetchMode: 'navigate' }), ORIGIN)).toBe(false);
		// No fetch metadata but a foreign Origin (older browser, WebSocket from elsewhere).
		expect(madeByServiceOrigin(meta({ origin: 'https://spyre.example.com' }), ORIGIN)).toBe(false);
		expect(madeByServiceOrigin(meta({ origin: 'null' }), ORIGIN)).toBe(false);
		// Same host, other port or scheme is another origin.
		expect(madeByServiceOrigin(meta({ secFetchSite: 'same-origin', origin: `${ORIGIN}:8443` }), ORIGIN)).toBe(false);
		expect(madeByServiceOrigin(meta({ secFetchSite: 'same-origin', origin: ORIGIN.replace('https', 'http') }), ORIGIN)).toBe(false);
		// An unknown value counts as foreign.
		expect(madeByServiceOrigin(meta({ secFetchSite: 'weird' }), ORIGIN)).toBe(false);
	});
});

describe('isPageLoad / mayIssueWithoutAsking', () => {
	it('only top-level GET navigations are page loads', () => {
		expect(isPageLoad(meta({ secFetchMode: 'navigate' }))).toBe(true);
		expect(isPageLoad(meta({ accept: 'text/html,*/*' }))).toBe(true);
		expect(isPageLoad(meta({ secFetchMode: 'cors', accept: 'text/html' }))).toBe(false);
		expect(isPageLoad(meta({ method: 'POST', secFetchMode: 'navigate' }))).toBe(false);
		expect(isPageLoad(meta({ secFetchMode: 'websocket' }))).toBe(false);
	});
	it("issues without a click only for typed loads or Spyre's own links", () => {
		expect(mayIssueWithoutAsking('none')).toBe(true);
		expect(mayIssueWithoutAsking('same-origin')).toBe(true);
		for (const v of ['same-site', 'cross-site', null, 'x']) expect(mayIssueWithoutAsking(v)).toBe(false);
	});
});

describe('safeTarget', () => {
	it('keeps paths on the service host', () => {
		expect(safeTarget('/app?x=1#y', '/__spyre')).toBe('/app?x=1#y');
		expect(safeTarget('/', '/__spyre')).toBe('/');
	});
	it.each(['//evil.example/', '/\\evil.example', 'https://evil.example/', 'evil', '/a\nb', '/a b', '/__spyre/callback?code=x', '/__SPYRE', '/__spyre?x', null, '', '/' + 'a'.repeat(3000)])(
		'%j becomes /',
		(to) => expect(safeTarget(to, '/__spyre')).toBe('/')
	);
});
