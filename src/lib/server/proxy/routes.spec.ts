import { describe, expect, it } from 'vitest';
import { buildRoute, isIpv4, mergeRoutes, routeId, serviceUrl, type ServiceTarget } from './routes';

const t: ServiceTarget = { environmentId: 'env-abc234', hostname: 'web1', name: 'web', port: 3000, protocol: 'http', ip: '10.0.0.5', tlsVerify: true };
const auth = { dial: '127.0.0.1:3000', host: 'spyre.example.com' };

describe('buildRoute', () => {
	it('matches the subdomain, asks Spyre first, strips the session cookie, proxies to the CT', () => {
		const r = buildRoute(t, { kind: 'subdomain', baseDomain: 'example.com' }, auth)!;
		expect(r['@id']).toBe('spyre-svc-env-abc234-web');
		expect(r.match).toEqual([{ host: ['web-web1.example.com'] }]);
		const handle = r.handle as Array<Record<string, unknown>>;
		expect(handle[0]).toMatchObject({ handler: 'reverse_proxy', upstreams: [{ dial: '127.0.0.1:3000' }], rewrite: { uri: '/auth/forward' } });
		expect(JSON.stringify(handle[1])).toContain('spyre_session=');
		expect(handle.at(-1)).toEqual({ handler: 'reverse_proxy', upstreams: [{ dial: '10.0.0.5:3000' }] });
	});
	it('path mode matches the prefix on Spyre\'s host and strips it', () => {
		const r = buildRoute(t, { kind: 'path', publicHost: 'spyre.example.com' }, auth)!;
		expect(r.match).toEqual([{ host: ['spyre.example.com'], path: ['/svc/web1/web/*'] }]);
		expect(r.handle).toContainEqual({ handler: 'rewrite', strip_path_prefix: '/svc/web1/web' });
	});
	it('refuses values that could inject into Caddy JSON', () => {
		const mode = { kind: 'subdomain', baseDomain: 'example.com' } as const;
		expect(() => buildRoute({ ...t, ip: '10.0.0.5:2019' }, mode, auth)).toThrow(/IPv4/);
		expect(() => buildRoute({ ...t, name: '{http.request.host}' }, mode, auth)).toThrow(/DNS label/);
		expect(() => buildRoute({ ...t, hostname: 'a.b' }, mode, auth)).toThrow(/DNS label/);
		expect(() => buildRoute({ ...t, port: 70000 }, mode, auth)).toThrow(/range/);
		expect(() => buildRoute(t, { kind: 'subdomain', baseDomain: 'ex ample' }, auth)).toThrow(/base_domain/);
		expect(() => buildRoute(t, mode, { ...auth, dial: 'x' })).toThrow(/host:port/);
	});
	it('checks an https upstream\'s certificate for the CT\'s hostname unless the config opted out', () => {
		const mode = { kind: 'subdomain', baseDomain: 'example.com' } as const;
		const last = (target: ServiceTarget) => (buildRoute(target, mode, auth)!.handle as unknown[]).at(-1);
		expect(last({ ...t, protocol: 'https' })).toEqual({
			handler: 'reverse_proxy',
			upstreams: [{ dial: '10.0.0.5:3000' }],
			transport: { protocol: 'http', tls: { server_name: 'web1' } }
		});
		expect(last({ ...t, protocol: 'https', tlsVerify: false })).toMatchObject({ transport: { tls: { insecure_skip_verify: true } } });
		expect(JSON.stringify(last({ ...t, protocol: 'http', tlsVerify: false }))).not.toContain('tls');
	});
	it('gives tcp services no HTTP route', () => {
		expect(buildRoute({ ...t, protocol: 'tcp' }, { kind: 'path', publicHost: 'h' }, auth)).toBeNull();
	});
});

describe('mergeRoutes', () => {
	it('replaces only our routes and puts them first', () => {
		const others = [{ match: [{ host: ['spyre.example.com'] }] }, { '@id': 'someone-else' }];
		const merged = mergeRoutes([{ '@id': routeId({ environmentId: 'old', name: 'x' }) }, ...others], [{ '@id': 'spyre-svc-new-y' }]);
		expect(merged).toEqual([{ '@id': 'spyre-svc-new-y' }, ...others]);
	});
});

describe('serviceUrl / isIpv4', () => {
	it('builds both URL shapes', () => {
		expect(serviceUrl(t, { kind: 'subdomain', baseDomain: 'example.com' }, 'https:')).toBe('https://web-web1.example.com/');
		expect(serviceUrl(t, { kind: 'path', publicHost: 'spyre.example.com' }, 'https:')).toBe('https://spyre.example.com/svc/web1/web/');
	});
	it('accepts dotted quads only', () => {
		expect(isIpv4('127.77.0.5')).toBe(true);
		expect(isIpv4('256.1.1.1')).toBe(false);
		expect(isIpv4('1.2.3')).toBe(false);
	});
});
