// The config files on disk: the repo's built-in examples (read-only) and the user's configs, each with a
// bases/ folder. One namespace of slug names across all four places; a user file never shadows a
// built-in. Names are checked before any path is built, so no name can reach outside its folder.
// Writes are atomic (temp file, fsync, rename, fsync of the folder).

import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_NAME_RE, MAX_CONFIG_BYTES, type ConfigSummary } from '$lib/types/configs';
import { configNameProblem, RESERVED_CONFIG_NAMES } from '$lib/validation/config-name';
import type { AuditActor, AuditOutcome } from '../audit';
import { SpyreError } from '../errors';
import type { PlatformDefaults } from './defaults';
import { formatBytes } from '$lib/shared/format-bytes';
import { parseLayer, sizeProblem } from './parse';
import { parseCached, resolveText, type Resolution } from './resolve';
import { ConfigValidationError } from './validation-error';
import { listDir, readAsset, writeAtomic } from './files';

export interface StoreOptions {
	builtInDir: string;
	userDir: string;
	defaults: () => PlatformDefaults;
	record: (actor: AuditActor, action: string, target: string | null, outcome: AuditOutcome, detail?: string | null) => void;
}

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

	function readText(entry: Entry): { text: string; updatedAt: number | null } {
		const stat = fs.statSync(entry.file);
		if (stat.size > MAX_CONFIG_BYTES) {
			throw new SpyreError('payload_too_large', `Config ${entry.name} is ${formatBytes(stat.size)}; the limit is ${formatBytes(MAX_CONFIG_BYTES)}.`);
		}
		return { text: fs.readFileSync(entry.file, 'utf8'), updatedAt: entry.builtIn ? null : Math.round(stat.mtimeMs) };
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
		let result: Resolution;
		try {
			({ text, updatedAt } = readText(entry));
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
			updatedAt
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
			throw new ConfigValidationError(
				`Config ${name} was not saved: it is not readable as YAML. ${first ? `${first.message}${first.line ? ` (line ${first.line})` : ''}.` : ''}`.trim(),
				errors
			);
		}
	}

	function write(entry: Entry, text: string): ConfigSummary {
		writeAtomic(entry.file, text);
		const map = entries();
		return summarize(map.get(entry.name) ?? entry, map);
	}

	return {
		list(): ConfigSummary[] {
			const map = entries();
			return [...map.values()].map((e) => summarize(e, map)).sort((a, b) => a.name.localeCompare(b.name));
		},

		read(name: string): { name: string; builtIn: boolean; base: boolean; text: string; updatedAt: number | null } {
			const entry = find(name);
			return { name, builtIn: entry.builtIn, base: entry.base, ...readText(entry) };
		},

		check(text: string, o: { name?: string } = {}): Resolution {
			if (typeof text !== 'string') throw new SpyreError('bad_request', 'The config text must be a string.');
			if (o.name !== undefined) assertName(o.name);
			return check(text, o.name);
		},

		resolve(name: string): { config: NonNullable<Resolution['resolved']>; text: string; chain: string[] } {
			const entry = find(name);
			const { text } = readText(entry);
			const result = check(text, name);
			if (!result.resolved) {
				const errors = result.problems.filter((p) => p.severity === 'error');
				const first = errors[0];
				throw new ConfigValidationError(
					`Config ${name} has ${errors.length} problem${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} before provisioning. First: ${first.path ? `${first.path}: ` : ''}${first.message}${first.line ? ` (line ${first.line})` : ''}.`,
					result.problems
				);
			}
			return { config: result.resolved, text, chain: result.chain };
		},

		save(name: string, text: string, actor: AuditActor): ConfigSummary {
			return audited(actor, 'config.save', name, () => {
				assertName(name);
				const existing = entries().get(name);
				if (existing?.builtIn) {
					throw new SpyreError('forbidden', `${name} is a built-in config and read-only; clone it to make your own.`);
				}
				refuseUnreadable(name, text);
				return write(existing ?? { name, builtIn: false, base: false, file: path.join(opts.userDir, `${name}.yaml`) }, text);
			}, (s) => (s.valid ? 'saved, valid' : `saved with ${s.problems} problem(s)`));
		},

		create(
			name: string,
			from: { blank: true } | { base: string } | { clone: string },
			actor: AuditActor,
			o: { base?: boolean } = {}
		): ConfigSummary {
			return audited(actor, 'config.create', name, () => {
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
				return write({ name, builtIn: false, base: asBase, file: path.join(dir, `${name}.yaml`) }, text);
			}, () => ('clone' in from ? `cloned from ${from.clone}` : 'base' in from ? `from base ${from.base}` : 'blank'));
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
