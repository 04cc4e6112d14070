// The README's HTTP API table is the reference a script author reads, so it must name every route a user or
// script can call and nothing that does not exist. Routes come from the same walker the security suite
// uses (every `+server.ts` with its exported methods, and the socket router's paths), not from a list.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/spyre';
import { socketPaths, walkRoutes } from '../security/surface';

/** `METHOD[/METHOD…] /path` cells of the table under "## HTTP API", with `:param` read as `[param]`. */
function documented(): Set<string> {
	const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
	const section = readme.split(/^## HTTP API$/m)[1]?.split(/^## /m)[0] ?? '';
	const out = new Set<string>();
	for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
		const firstCell = row.split(' | ')[0];
		for (const [, methods, p] of firstCell.matchAll(/`((?:GET|POST|PUT|PATCH|DELETE|WS)(?:\/(?:GET|POST|PUT|PATCH|DELETE))*) (\/[^`\s]*)`/g)) {
			const id = p.replace(/:([A-Za-z]+)/g, '[$1]');
			for (const m of methods.split('/')) out.add(`${m} ${id}`);
		}
	}
	return out;
}

/** What exists: every endpoint method, and each socket prefix as the parametrised path the table uses. */
function existing(listed: Set<string>): Set<string> {
	const out = new Set(
		walkRoutes()
			.filter((e) => e.source === 'endpoint')
			.map((e) => `${e.method} ${e.id}`)
	);
	for (const prefix of socketPaths().map((p) => p.replace(/sec-probe$/, ''))) {
		const match = [...listed].find((d) => d.startsWith('WS ') && (prefix.endsWith('/') ? d.slice(3).startsWith(prefix) && /\[[^\]]+\]$/.test(d) : d.slice(3) === prefix));
		out.add(match ?? `WS ${prefix}…`);
	}
	return out;
}

describe('README HTTP API table', () => {
	it('lists every route and socket in src, and nothing else', () => {
		const listed = documented();
		expect(listed.size).toBeGreaterThan(20);
		const real = existing(listed);
		expect([...real].filter((r) => !listed.has(r)).sort(), 'routes missing from the README table').toEqual([]);
		expect([...listed].filter((d) => !real.has(d)).sort(), 'README rows with no such route').toEqual([]);
	});
});
