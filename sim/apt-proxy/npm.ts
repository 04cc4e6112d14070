// The npm side of the demo's package proxy: a read-only mirror of registry.npmjs.org that npm in a CT uses
// as its registry (`registry=http://GATEWAY:PORT/`, written by Spyre from provision.npm_registry). npm
// speaks to a registry with origin-form requests (`GET /name`), never through a forward proxy for https,
// so the same listener tells the two apart by the request target: absolute `http://…` is apt's, `/…` is
// npm's. Only package documents and tarballs are served (GET only); search, audit, login, publish and every
// other registry API are refused without any outbound request.

export const NPM_UPSTREAM = 'https://registry.npmjs.org';

export type NpmRoute =
	{ ok: true; kind: 'packument'; upstreamPath: string; abbreviated: boolean } | { ok: true; kind: 'tarball'; upstreamPath: string } | { ok: false; status: number; reason: string };

/** npm's own name rule (validate-npm-package-name): URL-safe characters, no leading . or _, at most 214. */
const NAME = /^[A-Za-z0-9~-][A-Za-z0-9._~-]{0,213}$/;
const TARBALL = /^[A-Za-z0-9][A-Za-z0-9._~+-]{0,250}\.tgz$/;
/** The media type of npm's abbreviated ("corgi") documents, which `npm install` asks for. */
export const ABBREVIATED = 'application/vnd.npm.install-v1+json';

function scopedName(scope: string, name: string): boolean {
	return NAME.test(scope) && NAME.test(name);
}

/**
 * Where an npm request may go on the registry, or why it is refused. `accept` is the client's Accept
 * header: npm asks for abbreviated documents when installing and full ones for `npm view`; the two are
 * different documents upstream, so they are fetched and cached apart.
 */
export function npmRoute(method: string | undefined, target: string, accept = ''): NpmRoute {
	if (method !== 'GET') return { ok: false, status: 405, reason: 'the npm registry mirror is read-only: GET only' };
	if (!target.startsWith('/') || /[?#]/.test(target)) return { ok: false, status: 403, reason: 'only package documents and tarballs, without a query' };
	// A scoped name arrives as @scope%2fname (npm escapes the slash); any other escape is refused.
	const path = target.slice(1).replace(/%2f/gi, '/');
	if (path.includes('%')) return { ok: false, status: 403, reason: 'odd path' };
	const parts = path.split('/');
	const abbreviated = accept.includes(ABBREVIATED);
	if (parts.length === 1 && NAME.test(parts[0])) return { ok: true, kind: 'packument', upstreamPath: `/${parts[0]}`, abbreviated };
	if (parts.length === 2 && parts[0].startsWith('@') && scopedName(parts[0].slice(1), parts[1])) return { ok: true, kind: 'packument', upstreamPath: `/${parts[0]}%2f${parts[1]}`, abbreviated };
	if (parts.length === 3 && NAME.test(parts[0]) && parts[1] === '-' && TARBALL.test(parts[2])) return { ok: true, kind: 'tarball', upstreamPath: `/${parts.join('/')}` };
	if (parts.length === 4 && parts[0].startsWith('@') && scopedName(parts[0].slice(1), parts[1]) && parts[2] === '-' && TARBALL.test(parts[3]))
		return { ok: true, kind: 'tarball', upstreamPath: `/${parts.join('/')}` };
	return { ok: false, status: 403, reason: 'only npm package documents (/name, /@scope%2fname) and tarballs (/name/-/file.tgz)' };
}

const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
const TARBALL_FIELD = /("tarball"\s*:\s*")https:\/\/registry\.npmjs\.org\//g;

/**
 * A package document as the client should see it: its tarball URLs point back at this mirror (the Host the
 * client used), so even an npm without `replace-registry-host` (npm 8 and older) fetches them here rather
 * than trying registry.npmjs.org, which a CT cannot reach. The cached copy stays upstream's own text.
 */
export function rewriteTarballs(text: string, host: string | undefined): string {
	if (!host || !HOST_HEADER.test(host)) return text;
	return text.replace(TARBALL_FIELD, `$1http://${host}/`);
}
