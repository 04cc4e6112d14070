import { describe, expect, it } from 'vitest';
import { crossSiteAllowed, hostAllowed, hostPolicy, mutationOriginAllowed } from './request-guard';

describe('hostAllowed', () => {
	const prod = hostPolicy('https://spyre.example.com');
	const local = hostPolicy('http://127.0.0.1:3000');
	it.each([
		['spyre.example.com', prod, true],
		['SPYRE.example.com', prod, true],
		['spyre.example.com:443', prod, true], // URL normalises the default port away
		['spyre.example.com:8443', prod, false],
		['evil.example', prod, false],
		['127.0.0.1:3000', prod, false],
		['localhost:3000', prod, false],
		['spyre.example.com.evil.example', prod, false],
		['user@spyre.example.com', prod, false],
		['spyre.example.com/x', prod, false],
		['', prod, false],
		[undefined, prod, false],
		['127.0.0.1:3000', local, true],
		['127.0.0.1:4000', local, true],
		['localhost:3000', local, true],
		['[::1]:3000', local, true],
		['192.168.1.20:3000', local, true], // an IP literal cannot be rebound (HOST=0.0.0.0 demo)
		['evil.example:3000', local, false], // DNS rebinding: a name that resolves to 127.0.0.1
		['rebind.127.0.0.1.nip.io:3000', local, false],
		['localhost.evil.example:3000', local, false],
		['127.1:3000', local, true], // URL reads it as 127.0.0.1, as the browser that sent it did
		['0x7f.1:3000', local, true],
		['[::ffff:127.0.0.1]:3000', local, true],
		['spyre.localhost:3000', local, true],
		['LOCALHOST.:3000', local, true],
		['999.1.1.1:3000', local, false], // not an address, and a name ending in a number is none either
		['spyre..localhost:3000', local, false],
		['127.1:3000', prod, false],
		['[::1]:3000', prod, false]
	])('%j (%#) -> %j', (host, policy, ok) => {
		expect(hostAllowed(host, policy)).toBe(ok);
	});

	it.each([
		['http://localhost:3000', true],
		['http://127.9.9.9:3000', true],
		['http://[::1]:3000', true],
		['http://spyre.localhost:3000', true],
		['http://0.0.0.0:3000', false],
		['https://spyre.example.com', false],
		['http://localhost.evil.example:3000', false]
	])('%s is local: %j', (url, local) => {
		expect(hostPolicy(url).local).toBe(local);
	});
});

describe('mutationOriginAllowed', () => {
	const prod = hostPolicy('https://spyre.example.com');
	it.each([
		['https://spyre.example.com', 'https://spyre.example.com', true],
		['https://spyre.example.com', 'http://127.0.0.1:3000', true],
		['http://127.0.0.1:3000', 'http://127.0.0.1:3000', true],
		[null, 'https://spyre.example.com', false],
		['', 'https://spyre.example.com', false],
		['null', 'https://spyre.example.com', false],
		['https://evil.example', 'https://spyre.example.com', false],
		['http://spyre.example.com', 'https://spyre.example.com', false],
		['https://spyre.example.com.evil.example', 'https://spyre.example.com', false],
		['https://spyre.example.com/path', 'https://spyre.example.com', false],
		['file://', 'https://spyre.example.com', false]
	])('%j to %j -> %j', (origin, requestOrigin, ok) => {
		expect(mutationOriginAllowed(origin, requestOrigin, prod)).toBe(ok);
	});
});

describe('crossSiteAllowed (fetch metadata resource isolation)', () => {
	const h = (site: string | null, mode: string | null = null, dest: string | null = null) => ({ site, mode, dest });
	it('answers same-origin, typed and metadata-less requests', () => {
		expect(crossSiteAllowed(h('same-origin', 'cors', 'empty'), 'POST', '/api/configs')).toBe(true);
		expect(crossSiteAllowed(h('none', 'navigate', 'document'), 'GET', '/')).toBe(true);
		expect(crossSiteAllowed(h(null), 'GET', '/api/environments')).toBe(true);
	});
	it('lets another site only navigate the top level', () => {
		expect(crossSiteAllowed(h('same-site', 'navigate', 'document'), 'GET', '/environments')).toBe(true);
		expect(crossSiteAllowed(h('cross-site', 'navigate', 'document'), 'GET', '/auth/claude/callback')).toBe(true);
		expect(crossSiteAllowed(h('same-site', 'cors', 'empty'), 'GET', '/api/environments')).toBe(false);
		expect(crossSiteAllowed(h('same-site', 'no-cors', 'empty'), 'GET', '/settings/audit/export')).toBe(false);
		expect(crossSiteAllowed(h('same-site', 'navigate', 'document'), 'POST', '/api/configs')).toBe(false);
		expect(crossSiteAllowed(h('cross-site', 'navigate', 'iframe'), 'GET', '/')).toBe(false);
		expect(crossSiteAllowed(h('same-site', 'websocket', 'websocket'), 'GET', '/api/terminal/x')).toBe(false);
		expect(crossSiteAllowed(h('same-site', 'cors', 'empty'), 'GET', '/sw.js')).toBe(false);
	});
	it('leaves the service gateway paths to their own checks', () => {
		expect(crossSiteAllowed(h('cross-site', 'cors', 'empty'), 'GET', '/auth/forward')).toBe(true);
		expect(crossSiteAllowed(h('cross-site', 'navigate', 'document'), 'GET', '/auth/service/callback')).toBe(true);
	});
});
