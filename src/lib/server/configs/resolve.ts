// Resolves a config's text into an EnvironmentConfig: parse, follow `extends` through bases (cycle,
// missing base and depth named with the whole chain), merge, apply defaults, run the cross-field checks.
// Pure: bases come from `loadBase` and defaults from the caller, so the store and the editor share it.

import { MAX_EXTENDS_DEPTH, type ConfigProblem, type EnvironmentConfig } from '$lib/shared/types/configs';
import { applyDefaults, type PlatformDefaults } from './defaults';
import { crossChecks } from './checks';
import { mergeChain } from './merge';
import { parseLayer, type ParsedLayer } from './parse';
import { at, formatPath } from './problems';
import type { ConfigLayer } from './schema';

export interface ResolveOptions {
	/** The config's own name (file name); falls back to metadata.name. */
	name?: string;
	/** Text of the base with this name, or null when there is none. */
	loadBase: (name: string) => string | null;
	defaults: PlatformDefaults;
}

export interface Resolution {
	problems: ConfigProblem[];
	resolved: EnvironmentConfig | null;
	/** The config then its bases, nearest first: ['dev-web', 'ubuntu-dev']. */
	chain: string[];
}

// Bases are parsed once per distinct text: listing and typing re-resolve the same bases constantly.
const parseCache = new Map<string, ParsedLayer>();
const PARSE_CACHE_SIZE = 64;

export function parseCached(text: string): ParsedLayer {
	const hit = parseCache.get(text);
	if (hit) {
		parseCache.delete(text);
		parseCache.set(text, hit);
		return hit;
	}
	const parsed = parseLayer(text);
	parseCache.set(text, parsed);
	if (parseCache.size > PARSE_CACHE_SIZE) parseCache.delete(parseCache.keys().next().value as string);
	return parsed;
}

const errorCount = (problems: readonly ConfigProblem[]) => problems.filter((p) => p.severity === 'error').length;

export function resolveText(text: string, opts: ResolveOptions): Resolution {
	const root = parseLayer(text);
	const problems = [...root.problems];
	const name = opts.name ?? root.layer?.metadata?.name ?? 'untitled';
	const chain = [name];
	if (!root.layer) return { problems: sortProblems(problems), resolved: null, chain };

	const atExtends = (message: string) => at(root.doc, root.lines, text, ['extends'], message, 'error');
	const layers: ConfigLayer[] = [root.layer];
	const bases: ParsedLayer[] = [];
	for (let next = root.layer.extends; next !== undefined;) {
		if (chain.includes(next)) {
			problems.push(atExtends(`extends cycle: ${[...chain, next].join(' → ')}`));
			return { problems: sortProblems(problems), resolved: null, chain };
		}
		if (chain.length > MAX_EXTENDS_DEPTH) {
			problems.push(atExtends(`extends goes deeper than ${MAX_EXTENDS_DEPTH} levels: ${[...chain, next].join(' → ')}`));
			return { problems: sortProblems(problems), resolved: null, chain };
		}
		chain.push(next);
		const baseText = opts.loadBase(next);
		if (baseText === null) {
			problems.push(atExtends(`base '${next}' not found (${chain.join(' → ')}); bases live in configs/bases/ and in the bases/ folder of your configs`));
			return { problems: sortProblems(problems), resolved: null, chain };
		}
		const base = parseCached(baseText);
		if (!base.layer) {
			const first = base.problems.find((p) => p.severity === 'error');
			const where = first ? ` (first: ${first.path ? `${first.path}: ` : ''}${first.message}${first.line ? ` at line ${first.line}` : ''})` : '';
			problems.push(atExtends(`base '${next}' has ${errorCount(base.problems)} problem(s)${where}`));
			return { problems: sortProblems(problems), resolved: null, chain };
		}
		layers.push(base.layer);
		bases.push(base);
		next = base.layer.extends;
	}

	// metadata and extends describe one file; they are not inherited.
	const specs = layers.map((l) => ({ spec: l.spec ?? {} })).reverse();
	const merged = { ...(mergeChain(specs) as ConfigLayer), apiVersion: root.layer.apiVersion, kind: root.layer.kind, metadata: root.layer.metadata, extends: root.layer.extends };
	const resolved = applyDefaults(merged, name, opts.defaults);

	for (const finding of crossChecks(resolved, opts.name ?? null, root.layer.metadata?.name)) {
		const inBase = !root.doc?.hasIn(finding.path) && bases.some((b) => b.doc?.hasIn(finding.path));
		if (!inBase) {
			problems.push(at(root.doc, root.lines, text, finding.path, finding.message, finding.severity));
		} else {
			// The offending value comes from a base: point at `extends`, keep the real key path in the message.
			const p = at(root.doc, root.lines, text, ['extends'], `${finding.message} (inherited from a base)`, finding.severity);
			problems.push({ ...p, path: formatPath(finding.path) });
		}
	}
	return { problems: sortProblems(problems), resolved: errorCount(problems) === 0 ? resolved : null, chain };
}

/** Top to bottom, as the editor lists them; problems without a position first (they concern the whole file). */
function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
	return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
