import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiRoutes, claudeAuthRoutes, pageRoutes, wsRoutes } from './routes';
import { WS_PATHS, isSpyreSocketPath, matchSocketPath } from '$lib/shared/socket-paths';

const ROUTES_DIR = join(process.cwd(), 'src/routes');

/** Every +server.ts under src/routes/<base>, as its URL template (`/api/environments/[id]/start`). */
function endpointTemplates(base = 'api', dir = join(ROUTES_DIR, base)): string[] {
	const out: string[] = [];
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) out.push(...endpointTemplates(base, path));
		else if (entry.name === '+server.ts') out.push(`/${relative(ROUTES_DIR, dir).split(sep).filter(Boolean).join('/')}`);
	}
	return out.sort();
}

/** `[id]` matches one path segment; route groups `(x)` are not part of the URL. */
function templateRegex(template: string): RegExp {
	const parts = template
		.split('/')
		.filter((p) => !/^\(.*\)$/.test(p))
		.map((p) => (/^\[.+\]$/.test(p) ? '[^/]+' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
	return new RegExp(`^${parts.join('/')}$`);
}

/** What each builder produces for sample arguments, without its query string. */
function builtPaths(builders: Record<string, (...args: never[]) => string>): Array<[string, string]> {
	return Object.entries(builders).map(([name, fn]) => {
		const call = fn as unknown as (...args: unknown[]) => string;
		const url = call(...Array.from({ length: Math.max(fn.length, 1) }, (_, i) => (i === 0 ? 'sample-id' : 3)));
		return [name, url.split('?')[0]];
	});
}

describe('API route builders', () => {
	const templates = endpointTemplates();
	const built = builtPaths(apiRoutes);

	it('finds the API routes on disk', () => {
		expect(templates).toContain('/api/environments');
		expect(templates).toContain('/api/environments/[id]/start');
	});

	it.each(templates)('%s has a builder', (template) => {
		const re = templateRegex(template);
		const match = built.filter(([, path]) => re.test(path)).map(([name]) => name);
		expect(match, `add a builder for ${template} to src/lib/shared/routes.ts`).not.toHaveLength(0);
	});

	it('builds no path that is not an endpoint', () => {
		const res = templates.map(templateRegex);
		for (const [name, path] of built)
			expect(
				res.some((re) => re.test(path)),
				`${name} → ${path}`
			).toBe(true);
	});

	it('encodes ids so one cannot reach another path', () => {
		expect(apiRoutes.start('a/../b')).toBe('/api/environments/a%2F..%2Fb/start');
		expect(apiRoutes.templates('pve 1&x=2')).toBe('/api/templates?node=pve%201%26x%3D2');
		expect(apiRoutes.window('e1', 2)).toBe('/api/environments/e1/windows/2');
	});
});

describe('Claude sign-in route builders', () => {
	// The callback is the CLI's redirect target, never a browser call.
	const templates = endpointTemplates('auth/claude').filter((t) => t !== '/auth/claude/callback');
	const built = builtPaths(claudeAuthRoutes).map(([, path]) => path);

	it('has one builder per endpoint and none without one', () => {
		expect(templates).toContain('/auth/claude/status');
		expect([...built].sort()).toEqual(templates);
	});
});

describe('page route builders', () => {
	it('sends to the sign-in page with where to go after, encoded so it stays one parameter', () => {
		expect(pageRoutes.login()).toBe('/login');
		expect(pageRoutes.login('/')).toBe('/login');
		const next = '/environments/e 1?window=2&x=%41#h';
		const url = new URL(pageRoutes.login(next), 'http://spyre.invalid');
		expect(url.pathname).toBe('/login');
		expect([...url.searchParams.keys()]).toEqual(['next']);
		expect(url.searchParams.get('next')).toBe(next);
		expect(url.hash).toBe('');
	});
});

describe('WebSocket route builders', () => {
	it('builds only paths the upgrade router accepts, and one for each', () => {
		const built = [wsRoutes.events(), wsRoutes.events(7), wsRoutes.terminal('e1', { window: 0, cols: 80, rows: 24 }), wsRoutes.claudeTask('t1', 4)];
		for (const u of built) expect(isSpyreSocketPath(u), u).toBe(true);
		const accepts = (p: string, prefix: string) => (prefix.endsWith('/') ? p.startsWith(prefix) : p === prefix);
		for (const prefix of WS_PATHS)
			expect(
				built.some((u) => accepts(u.split('?')[0], prefix)),
				prefix
			).toBe(true);
	});

	it('matches each path once, with the id a prefix carries, and nothing else', () => {
		const cases: Array<[string, ReturnType<typeof matchSocketPath>]> = [
			['/api/events', { path: '/api/events', id: null }],
			['/api/terminal/env-1_a', { path: '/api/terminal/', id: 'env-1_a' }],
			['/api/claude/t1', { path: '/api/claude/', id: 't1' }],
			['/api/events/', null],
			['/api/terminal/', null],
			['/api/terminal/a/b', null],
			['/api/terminal/a%2Fb', null],
			[`/api/claude/${'x'.repeat(65)}`, null],
			['/api/eventsx', null],
			['/@vite/client', null]
		];
		for (const [path, want] of cases) expect(matchSocketPath(path), path).toEqual(want);
		expect(isSpyreSocketPath('/api/terminal/e1?cols=80')).toBe(true);
		expect(isSpyreSocketPath(undefined)).toBe(false);
	});

	it('puts the resume point and the terminal size in the query', () => {
		expect(wsRoutes.events(12)).toBe('/api/events?after=12');
		expect(wsRoutes.terminal('e 1', { window: 2, cols: 100, rows: 30 })).toBe('/api/terminal/e%201?window=2&cols=100&rows=30');
		// Without a window: the active one (a terminal opened on a stopped environment).
		expect(wsRoutes.terminal('e1', { cols: 80, rows: 24 })).toBe('/api/terminal/e1?cols=80&rows=24');
		expect(wsRoutes.claudeTask('t/1')).toBe('/api/claude/t%2F1?after=0');
	});
});

describe('page links', () => {
	/** Every .svelte and .ts file under src but specs and this module (which builds the links). */
	function sourceFiles(dir = join(process.cwd(), 'src')): string[] {
		return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
			const path = join(dir, e.name);
			if (e.isDirectory()) return sourceFiles(path);
			const source = /\.(svelte|ts)$/.test(e.name) && !e.name.endsWith('.spec.ts') && path !== join(process.cwd(), 'src/lib/shared/routes.ts');
			return source ? [path] : [];
		});
	}

	// A literal path to one of our pages: href="/x", href={`/x`}, { href: '/x' }, goto('/x'),
	// location.href = '/x', redirect(303, '/x'), or a template literal starting with a page's folder.
	const literal =
		/href=["'`]\/|href=\{\s*[`'"]\/|href:\s*[`'"]\/|goto\(\s*[`'"]\/|location\.href\s*=\s*[`'"]\/|redirect\(\s*30\d\s*,\s*[`'"]\/|=>\s*`\/(environments|configs|claude|settings|login|setup)\b/;

	it.each([
		'<a href="/environments">',
		'<a href={`/configs/${name}`}>',
		"{ href: '/settings' }",
		"goto('/claude')",
		'location.href = `/login?next=${p}`;',
		"location.href='/'",
		"redirect(303, '/login');",
		'redirect(302, `/settings/${x}`)',
		'const link = (id) => `/environments/${id}`;'
	])('catches %s', (line) => expect(literal.test(line)).toBe(true));

	it.each(['<a href={pageRoutes.settings()}>', 'redirect(303, pageRoutes.login())', "fetch('/api/x')", 'location.href = pageRoutes.login(location.pathname);'])('lets %s through', (line) =>
		expect(literal.test(line)).toBe(false)
	);

	it('are built by pageRoutes, never spelled out in a component, a load or a route', () => {
		const found = sourceFiles().flatMap((file) =>
			readFileSync(file, 'utf8')
				.split('\n')
				.map((line, i) => [line, i] as const)
				.filter(([line]) => literal.test(line) && !/favicon/.test(line))
				.map(([line, i]) => `${relative(process.cwd(), file)}:${i + 1}: ${line.trim()}`)
		);
		expect(found).toEqual([]);
	});
});
