// The config files on disk: the repo's built-in examples (read-only) and the user's configs, each with a
// bases/ folder. One namespace of slug names across all four places; a user file never shadows a
// built-in. Names are checked before any path is built, so no name can reach outside its folder.
// Writes are atomic (temp file, fsync, rename, fsync of the folder).

import fs from 'node:fs';
import path from 'node:path';
import { MAX_CONFIG_BYTES, type ConfigSummary } from '$lib/shared/types/configs';
import { CONFIG_NAME_RE } from '$lib/shared/validation/config-name';
import { configNameProblem, RESERVED_CONFIG_NAMES } from '$lib/shared/validation/config-name';
import type { AuditActor, AuditOutcome } from '../audit';
import { SpyreError } from '../errors';
import type { PlatformDefaults } from './defaults';
import { formatBytes } from '$lib/shared/format-bytes';
import { parseLayer, sizeProblem } from './parse';
import { parseCached, resolveText, type Resolution } from './resolve';
import { ConfigValidationError } from './validation-error';
import { listDir, readAsset, writeAtomic } from './files';
import type { VersionLog } from './versions';
import { unifiedDiff } from '$lib/shared/unified-diff';
import type { ConfigVersionSummary, ConfigVersionView } from '$lib/shared/types/configs';

export interface StoreOptions {
	builtInDir: string;
	userDir: string;
	defaults: () => PlatformDefaults;
	record: (actor: AuditActor, action: string, target: string | null, outcome: AuditOutcome, detail?: string | null) => void;
	/** The config history: every write below and every new content read from disk becomes a version. */
	versions: VersionLog;
}

/** One config's text as written, with the version that text is. */
export interface ConfigText {
	name: string;
	builtIn: boolean;
	base: boolean;
	text: string;
	updatedAt: number | null;
	version: number;
	sha256: string;
}

/** How a write came about, for its version. */
type WriteHow = { source: 'save' | 'create' } | { source: 'restore'; from: number };

interface Entry {
	name: string;
	builtIn: boolean;
	base: boolean;
	file: string;
}

/** Names that are API paths of their own (`/api/configs/check`, `/configs/new`), so no config may take them. */
export const RESERVED_NAMES = RESERVED_CONFIG_NAMES;

export function assertName(name: unknown): asserts name is string {
	if (typeof name === 'string' && RESERVED_NAMES.has(name)) {
		throw new SpyreError('bad_request', `'${name}' is reserved by Spyre; choose another config name.`, { fields: { name: `'${name}' is reserved; choose another name.` } });
	}
	if (typeof name !== 'string' || !CONFIG_NAME_RE.test(name)) {
		const shown = typeof name === 'string' ? `'${name.slice(0, 80)}'` : 'that';
		throw new SpyreError('bad_request', `${shown} is not a config name: use lowercase letters, digits and -, starting with a letter or digit, at most 63 characters.`, {
			fields: { name: (typeof name === 'string' && configNameProblem(name)) || 'Enter a name.' }
		});
	}
}

export const MAX_ASSET_BYTES = 10 * 1024 * 1024;

export const BLANK_TEMPLATE = (name: string) => `apiVersion: spyre/v1
kind: Environment
metadata:
  name: ${name}
  description: ""
spec:
  platform:
    cores: 2
    memory: 2048
  provision:
    packages: []
`;

export function createConfigStore(opts: StoreOptions) {
	/** Every config, first place wins: built-in bases, built-in configs, user bases, user configs. */
	function entries(): Map<string, Entry> {
		const map = new Map<string, Entry>();
		const places: Array<[string, boolean, boolean]> = [
			[path.join(opts.builtInDir, 'bases'), true, true],
			[opts.builtInDir, true, false],
			[path.join(opts.userDir, 'bases'), false, true],
			[opts.userDir, false, false]
		];
		for (const [dir, builtIn, base] of places) {
			for (const name of listDir(dir)) {
				if (map.has(name)) continue; // A shadowing file is ignored; saveConfig refuses to create one.
				map.set(name, { name, builtIn, base, file: path.join(dir, `${name}.yaml`) });
			}
		}
		return map;
	}

	function find(name: string): Entry {
		assertName(name);
		const entry = entries().get(name);
		if (!entry) throw new SpyreError('not_found', `There is no config named ${name}.`);
		return entry;
	}

	/** Every read of a config file passes here, so a change made on disk is versioned when Spyre first sees it. */
	function readText(entry: Entry): { text: string; updatedAt: number | null; version: ConfigVersionSummary } {
		const stat = fs.statSync(entry.file);
		if (stat.size > MAX_CONFIG_BYTES) {
			throw new SpyreError('payload_too_large', `Config ${entry.name} is ${formatBytes(stat.size)}; the limit is ${formatBytes(MAX_CONFIG_BYTES)}.`);
		}
		const text = fs.readFileSync(entry.file, 'utf8');
		return { text, updatedAt: entry.builtIn ? null : Math.round(stat.mtimeMs), version: opts.versions.seen(entry.name, text) };
	}

	function loaderFor(map: Map<string, Entry>) {
		return (name: string): string | null => {
			const entry = map.get(name);
			if (!entry || !entry.base) return null;
			try {
				return readText(entry).text;
			} catch {
				return null;
			}
		};
	}

	function check(text: string, name: string | undefined, map = entries()): Resolution {
		return resolveText(text, { name, loadBase: loaderFor(map), defaults: opts.defaults() });
	}

	function summarize(entry: Entry, map: Map<string, Entry>): ConfigSummary {
		let text = '';
		let updatedAt: number | null = null;
		let version: number | null = null;
		let result: Resolution;
		try {
			let read: ConfigVersionSummary;
			({ text, updatedAt, version: read } = readText(entry));
			version = read.version;
			result = check(text, entry.name, map);
		} catch (err) {
			const message = err instanceof SpyreError ? err.message : 'cannot be read';
			result = { problems: [{ path: '', message, line: null, col: null, severity: 'error' }], resolved: null, chain: [entry.name] };
		}
		const raw = parseCached(text).raw;
		const meta = raw?.metadata as { description?: unknown } | undefined;
		return {
			name: entry.name,
			builtIn: entry.builtIn,
			base: entry.base,
			description: typeof meta?.description === 'string' && meta.description !== '' ? meta.description : null,
			extends: typeof raw?.extends === 'string' ? raw.extends : null,
			valid: result.resolved !== null,
			problems: result.problems.filter((p) => p.severity === 'error').length,
			template: result.resolved?.spec.platform.template ?? null,
			updatedAt,
			version
		};
	}

	/** Run a mutation and record it in the audit log, success or failure. */
	function audited<T>(actor: AuditActor, action: string, target: string, work: () => T, detail?: (r: T) => string): T {
		try {
			const result = work();
			opts.record(actor, action, target, 'success', detail?.(result));
			return result;
		} catch (err) {
			const denied = err instanceof SpyreError && (err.code === 'forbidden' || err.code === 'bad_request');
			opts.record(actor, action, target.slice(0, 100), denied ? 'denied' : 'failure', err instanceof Error ? err.message : String(err));
			throw err;
		}
	}

	function refuseUnreadable(name: string, text: string): void {
		if (typeof text !== 'string') throw new SpyreError('bad_request', 'The config text must be a string.');
		const tooBig = sizeProblem(text);
		if (tooBig) throw new SpyreError('payload_too_large', `Config ${name}: ${tooBig.message}.`);
		// Drafts with schema errors are kept (the list shows them invalid); text that is not a YAML mapping is not.
		const parsed = parseCached(text);
		if (parsed.raw === null) {
			const errors = parsed.problems.filter((p) => p.severity === 'error');
			const first = errors[0];
			throw new ConfigValidationError(`Config ${name} was not saved: it is not readable as YAML. ${first ? `${first.message}${first.line ? ` (line ${first.line})` : ''}.` : ''}`.trim(), errors);
		}
	}

	/** The one write of a config file; its version is recorded once the file is in place. */
	function write(entry: Entry, text: string, how: WriteHow, actor: AuditActor): ConfigSummary {
		writeAtomic(entry.file, text);
		opts.versions.saved(entry.name, text, how.source, actor, how.source === 'restore' ? how.from : null);
		const map = entries();
		return summarize(map.get(entry.name) ?? entry, map);
	}

	return {
		list(): ConfigSummary[] {
			const map = entries();
			return [...map.values()].map((e) => summarize(e, map)).sort((a, b) => a.name.localeCompare(b.name));
		},

		read(name: string): ConfigText {
			const entry = find(name);
			const { text, updatedAt, version } = readText(entry);
			return { name, builtIn: entry.builtIn, base: entry.base, text, updatedAt, version: version.version, sha256: version.sha256 };
		},

		check(text: string, o: { name?: string } = {}): Resolution {
			if (typeof text !== 'string') throw new SpyreError('bad_request', 'The config text must be a string.');
			if (o.name !== undefined) assertName(o.name);
			return check(text, o.name);
		},

		resolve(name: string): { config: NonNullable<Resolution['resolved']>; text: string; chain: string[]; version: ConfigVersionSummary } {
			const entry = find(name);
			const { text, version } = readText(entry);
			const result = check(text, name);
			if (!result.resolved) {
				const errors = result.problems.filter((p) => p.severity === 'error');
				const first = errors[0];
				throw new ConfigValidationError(
					`Config ${name} has ${errors.length} problem${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} before provisioning. First: ${first.path ? `${first.path}: ` : ''}${first.message}${first.line ? ` (line ${first.line})` : ''}.`,
					result.problems
				);
			}
			return { config: result.resolved, text, chain: result.chain, version };
		},

		save(name: string, text: string, actor: AuditActor): ConfigSummary {
			return audited(
				actor,
				'config.save',
				name,
				() => saveAs(name, text, { source: 'save' }, actor),
				(s) => `${s.valid ? 'saved, valid' : `saved with ${s.problems} problem(s)`} as version ${s.version}`
			);
		},

		/** Save an earlier version's text again: a new version (history only grows), audited as a restore. */
		restore(name: string, version: number, actor: AuditActor): ConfigSummary {
			return audited(
				actor,
				'config.restore',
				name,
				() => {
					assertName(name);
					const old = opts.versions.get(name, version);
					return saveAs(name, old.content, { source: 'restore', from: version }, actor);
				},
				(s) => `restored version ${version} as version ${s.version}`
			);
		},

		/** Newest first. A config deleted since keeps its history; a name never seen has none. */
		versions(name: string): ConfigVersionSummary[] {
			assertName(name);
			const entry = entries().get(name);
			if (entry) safeRead(entry);
			const list = opts.versions.list(name);
			if (list.length === 0) throw new SpyreError('not_found', `There is no config named ${name}.`);
			return list;
		},

		version(name: string, version: number): ConfigVersionView {
			assertName(name);
			return opts.versions.get(name, version);
		},

		/** A unified diff from one version to another (either order). */
		diff(name: string, from: number, to: number): { from: ConfigVersionSummary; to: ConfigVersionSummary; diff: string } {
			assertName(name);
			const a = opts.versions.get(name, from);
			const b = opts.versions.get(name, to);
			const { content: before, ...fromSummary } = a;
			const { content: after, ...toSummary } = b;
			return { from: fromSummary, to: toSummary, diff: unifiedDiff(before, after, { from: `${name} v${from}`, to: `${name} v${to}` }) };
		},

		create(name: string, from: { blank: true } | { base: string } | { clone: string }, actor: AuditActor, o: { base?: boolean } = {}): ConfigSummary {
			return audited(
				actor,
				'config.create',
				name,
				() => {
					assertName(name);
					const map = entries();
					if (map.has(name)) {
						const what = map.get(name)!.builtIn ? 'a built-in config' : 'a config';
						throw new SpyreError('conflict', `There is already ${what} named ${name}.`, { fields: { name: 'This name is taken.' } });
					}
					let text: string;
					let asBase = o.base ?? false;
					if ('clone' in from) {
						const source = find(from.clone);
						text = renamed(readText(source).text, name);
						asBase = o.base ?? source.base;
					} else if ('base' in from) {
						const base = find(from.base);
						if (!base.base) throw new SpyreError('bad_request', `${from.base} is not a base; bases live in a bases/ folder.`);
						text = BLANK_TEMPLATE(name).replace('spec:\n', `extends: ${from.base}\nspec:\n`);
					} else {
						text = BLANK_TEMPLATE(name);
					}
					const dir = asBase ? path.join(opts.userDir, 'bases') : opts.userDir;
					return write({ name, builtIn: false, base: asBase, file: path.join(dir, `${name}.yaml`) }, text, { source: 'create' }, actor);
				},
				() => ('clone' in from ? `cloned from ${from.clone}` : 'base' in from ? `from base ${from.base}` : 'blank')
			);
		},

		/** A file a config refers to (helper_script.file, a file's source): user folder first, then built-in. */
		readAsset(rel: string): Buffer {
			return readAsset([opts.userDir, opts.builtInDir], rel);
		},

		remove(name: string, actor: AuditActor): void {
			audited(actor, 'config.delete', name, () => {
				const entry = find(name);
				if (entry.builtIn) throw new SpyreError('forbidden', `${name} is a built-in config and cannot be deleted.`);
				if (entry.base) {
					const map = entries();
					const users = [...map.values()].filter((e) => e.name !== name && parseCached(safeRead(e)).raw?.extends === name).map((e) => e.name);
					if (users.length > 0) {
						throw new SpyreError('conflict', `Base ${name} is extended by ${users.join(', ')}; change or delete those first.`);
					}
				}
				fs.unlinkSync(entry.file);
			});
		}
	};

	/** Save (or restore) a user config: built-ins are read-only, unreadable YAML is refused. */
	function saveAs(name: string, text: string, how: WriteHow, actor: AuditActor): ConfigSummary {
		assertName(name);
		const existing = entries().get(name);
		if (existing?.builtIn) {
			throw new SpyreError('forbidden', `${name} is a built-in config and read-only; clone it to make your own.`);
		}
		refuseUnreadable(name, text);
		// What is on disk now may be an edit made outside Spyre that nobody has read yet: it becomes a version
		// before it is overwritten, so the history never skips it.
		if (existing) safeRead(existing);
		return write(existing ?? { name, builtIn: false, base: false, file: path.join(opts.userDir, `${name}.yaml`) }, text, how, actor);
	}

	function safeRead(entry: Entry): string {
		try {
			return readText(entry).text;
		} catch {
			return '';
		}
	}
}

/** A clone keeps the source's text and comments; only metadata.name changes to the new name. */
function renamed(text: string, name: string): string {
	// Through the one parse path (size and nesting caps first).
	const { doc } = parseLayer(text);
	if (!doc || doc.errors.length > 0 || !doc.hasIn(['metadata', 'name'])) return text;
	doc.setIn(['metadata', 'name'], name);
	return doc.toString();
}

export type ConfigStore = ReturnType<typeof createConfigStore>;
