import { describe, expect, it } from 'vitest';
import { buildRoute, isIpv4, mergeRoutes, parseServiceHost, routeId, serviceHost, serviceLabel, serviceUrl, type ServiceTarget } from './routes';

const t: ServiceTarget = { environmentId: 'env-abc234', hostname: 'web1', name: 'web', port: 3000, protocol: 'http', ip: '10.0.0.5', tlsVerify: true };
const auth = { dial: '127.0.0.1:3000', host: 'spyre.example.com' };
const mode = { kind: 'subdomain', baseDomain: 'example.com' } as const;

type Sub = { match?: unknown[]; handle: Array<Record<string, unknown>>; terminal?: boolean };
function parts(r: Record<string, unknown>) {
	const sub = (r.handle as Array<{ handler: string; routes: Sub[] }>)[0];
	expect(sub.handler).toBe('subroute');
	const [callback, service] = sub.routes;
	return { callback, service };
}

describe('buildRoute', () => {
	it('matches the service host only, asks Spyre first, strips Spyre cookies both ways, proxies to the CT', () => {
		const r = buildRoute(t, mode, auth)!;
		expect(r['@id']).toBe('spyre-svc-env-abc234-web');
		expect(r.match).toEqual([{ host: ['web--web1.example.com'] }]);
		const { service } = parts(r);
		expect(service.handle[0]).toMatchObject({
			handler: 'reverse_proxy',
			upstreams: [{ dial: '127.0.0.1:3000' }],
			rewrite: { uri: '/auth/forward' },
			headers: { request: { set: { Host: ['spyre.example.com'], 'X-Spyre-Service-Host': ['web--web1.example.com'] } } }
		});
		const strip = JSON.stringify(service.handle[1]);
		for (const name of ['__Host-spyre_session', '__Host-spyre_svc', '|spyre_session)']) expect(strip).toContain(name);
		expect(service.handle[1]).toMatchObject({ request: { replace: { Cookie: [{ replace: '' }] } }, response: { replace: { 'Set-Cookie': [{ replace: '' }] }, deferred: true } });
		expect(service.handle.at(-1)).toEqual({ handler: 'reverse_proxy', upstreams: [{ dial: '10.0.0.5:3000' }] });
	});

	it("sends the reserved /__spyre path to Spyre's callback, never to the CT", () => {
		const { callback } = parts(buildRoute(t, mode, auth)!);
		expect(callback.match).toEqual([{ path: ['/__spyre/*', '/__spyre'] }]);
		expect(callback.terminal).toBe(true);
		expect(callback.handle).toHaveLength(1);
		expect(callback.handle[0]).toMatchObject({ upstreams: [{ dial: '127.0.0.1:3000' }], rewrite: { uri: '/auth/service/callback?{http.request.uri.query}' } });
		expect(JSON.stringify(callback)).not.toContain('10.0.0.5');
	});

	it('the Cookie and Set-Cookie patterns catch every Spyre cookie and nothing else (as Go regexp would)', () => {
		const { service } = parts(buildRoute(t, mode, auth)!);
		const ops = service.handle[1] as { request: { replace: { Cookie: Array<{ search_regexp: string }> } }; response: { replace: { 'Set-Cookie': Array<{ search_regexp: string }> } } };
		const js = (re: string) => new RegExp(re.replace('(?i)', ''), 'i');
		const cookie = js(ops.request.replace.Cookie[0].search_regexp);
		expect('a=1; __Host-spyre_session=x; b=2'.replace(new RegExp(cookie.source, 'gi'), '')).toBe('a=1; b=2');
		expect('__Host-spyre_svc=y'.replace(new RegExp(cookie.source, 'gi'), '')).toBe('');
		expect('spyre_session=z; keep=1'.replace(new RegExp(cookie.source, 'gi'), '')).toBe('; keep=1');
		expect('myspyre_session=z'.replace(new RegExp(cookie.source, 'gi'), '')).toBe('myspyre_session=z');
		const setCookie = js(ops.response.replace['Set-Cookie'][0].search_regexp);
		for (const v of ['spyre_session=x; Domain=example.com', '__Host-spyre_svc=x; Path=/; Secure', ' __host-SPYRE_session = x']) expect(setCookie.test(v)).toBe(true);
		expect(setCookie.test('app_session=x; Path=/')).toBe(false);
	});

	it('refuses values that could inject into Caddy JSON', () => {
		expect(() => buildRoute({ ...t, ip: '10.0.0.5:2019' }, mode, auth)).toThrow(/IPv4/);
		expect(() => buildRoute({ ...t, name: '{http.request.host}' }, mode, auth)).toThrow(/DNS label/);
		expect(() => buildRoute({ ...t, hostname: 'a.b' }, mode, auth)).toThrow(/DNS label/);
		expect(() => buildRoute({ ...t, port: 70000 }, mode, auth)).toThrow(/range/);
		expect(() => buildRoute(t, { kind: 'subdomain', baseDomain: 'ex ample' }, auth)).toThrow(/base_domain/);
		for (const baseDomain of ['Example.com', 'example.com.', 'bücher.example', '10.0.0.5', '{http.request.host}', 'a..b', '']) {
			expect(() => buildRoute(t, { kind: 'subdomain', baseDomain }, auth), baseDomain).toThrow(/base_domain/);
		}
		expect(buildRoute(t, { kind: 'subdomain', baseDomain: 'xn--bcher-kva.example' }, auth)).not.toBeNull();
		expect(() => buildRoute(t, mode, { ...auth, dial: 'x' })).toThrow(/host:port/);
	});

	it('refuses names with the separator and labels longer than DNS allows', () => {
		expect(() => buildRoute({ ...t, name: 'a--b' }, mode, auth)).toThrow(/--/);
		expect(() => buildRoute({ ...t, hostname: 'x--y' }, mode, auth)).toThrow(/--/);
		expect(() => buildRoute({ ...t, name: 'a'.repeat(40), hostname: 'b'.repeat(30) }, mode, auth)).toThrow(/63/);
	});

	it("checks an https upstream's certificate for the CT's hostname unless the config opted out", () => {
		const last = (target: ServiceTarget) => parts(buildRoute(target, mode, auth)!).service.handle.at(-1);
		expect(last({ ...t, protocol: 'https' })).toEqual({
			handler: 'reverse_proxy',
			upstreams: [{ dial: '10.0.0.5:3000' }],
			transport: { protocol: 'http', tls: { server_name: 'web1' } }
		});
		expect(last({ ...t, protocol: 'https', tlsVerify: false })).toMatchObject({ transport: { tls: { insecure_skip_verify: true } } });
		expect(JSON.stringify(last({ ...t, protocol: 'http', tlsVerify: false }))).not.toContain('tls');
	});

	it('gives tcp services no HTTP route', () => {
		expect(buildRoute({ ...t, protocol: 'tcp' }, mode, auth)).toBeNull();
	});
});

describe('service names', () => {
	it('the label is <service>--<hostname> and parses back to exactly that pair', () => {
		expect(serviceLabel(t)).toBe('web--web1');
		expect(serviceHost(t, mode)).toBe('web--web1.example.com');
		expect(parseServiceHost('web--web1.example.com', mode)).toEqual({ name: 'web', hostname: 'web1' });
		expect(parseServiceHost('WEB--web1.Example.com', mode)).toEqual({ name: 'web', hostname: 'web1' });
	});
	it('the old collision (a-b + c vs a + b-c) cannot happen any more', () => {
		expect(serviceLabel({ name: 'a-b', hostname: 'c' })).not.toBe(serviceLabel({ name: 'a', hostname: 'b-c' }));
	});
	it('hosts that are not a service host parse to null', () => {
		for (const h of ['spyre.example.com', 'web-web1.example.com', '--web1.example.com', 'web--.example.com', 'a--b--c.example.com', 'web--web1.example.org', 'x.web--web1.example.com']) {
			expect(parseServiceHost(h, mode)).toBeNull();
		}
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
	it("builds the service host URL with Spyre's scheme and port", () => {
		expect(serviceUrl(t, mode, 'https:')).toBe('https://web--web1.example.com/');
		expect(serviceUrl(t, mode, 'http:', '8080')).toBe('http://web--web1.example.com:8080/');
	});
	it('accepts dotted quads only', () => {
		expect(isIpv4('127.77.0.5')).toBe(true);
		expect(isIpv4('256.1.1.1')).toBe(false);
		expect(isIpv4('1.2.3')).toBe(false);
	});
});
