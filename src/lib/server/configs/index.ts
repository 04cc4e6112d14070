// Environment configs as one namespace for routes and the provisioner:
// `import * as configs from '$lib/server/configs'`, then `configs.resolveConfig('dev-web')`.
// The store reads its folders and defaults from environment.yaml; the built-in examples come from the
// repo's configs/ (SPYRE_BUILTIN_CONFIGS overrides, for tests and unusual layouts).

import path from 'node:path';
import type { BuiltFrom, ConfigProblem, ConfigSummary, ConfigVersionSummary, ConfigVersionView, EnvironmentConfig } from '$lib/shared/types/configs';
import { record, type AuditActor } from '../audit';
import { getDb } from '../db';
import { SpyreError } from '../errors';
import { getConfig } from '../env-config';
import { singleton } from '../singleton';
import { platformDefaultsFrom } from './defaults';
import { createConfigStore, type ConfigStore, type ConfigText } from './store';
import { createVersionLog } from './versions';

export { ConfigValidationError } from './validation-error';
export { configJsonSchema } from './schema';
export { createConfigStore, type ConfigStore, type ConfigText } from './store';
export { resolveText } from './resolve';
export { platformDefaultsFrom, type PlatformDefaults } from './defaults';
export { RE as CONFIG_RULES, absolutePathProblem, relativePathProblem } from './rules';

export function builtInConfigDir(env: NodeJS.ProcessEnv = process.env): string {
	return path.resolve(env.SPYRE_BUILTIN_CONFIGS ?? path.join(process.cwd(), 'configs'));
}

function store(): ConfigStore {
	return singleton('configs.store', () =>
		createConfigStore({
			builtInDir: builtInConfigDir(),
			userDir: getConfig().configs.dir,
			defaults: () => platformDefaultsFrom(getConfig()),
			record: (actor, action, target, outcome, detail) => record(actor, action, target, outcome, detail),
			versions: createVersionLog(getDb)
		})
	);
}

export function listConfigs(): ConfigSummary[] {
	return store().list();
}

/** The text of one config. SpyreError not_found (no such config) or bad_request (not a slug). */
export function readConfig(name: string): ConfigText {
	return store().read(name);
}

/** What the editor calls as you type: every problem with its position, and the resolved config if valid. */
export function checkConfigText(text: string, opts: { name?: string } = {}): { problems: ConfigProblem[]; resolved: EnvironmentConfig | null } {
	const { problems, resolved } = store().check(text, opts);
	return { problems, resolved };
}

/**
 * The resolved config to provision, with the version of the named config it was resolved from.
 * Throws ConfigValidationError (SpyreError 'validation', with problems).
 */
export function resolveConfig(name: string): { config: EnvironmentConfig; text: string; chain: string[]; version: ConfigVersionSummary } {
	return store().resolve(name);
}

/** Save a user config (drafts with errors are kept; unreadable YAML and > 256 KiB are refused). Audited. */
export function saveConfig(name: string, text: string, actor: AuditActor): ConfigSummary {
	return store().save(name, text, actor);
}

/** New user config: blank, extending a base, or a clone. `opts.base` puts it in bases/. Audited. */
export function createConfig(name: string, from: { blank: true } | { base: string } | { clone: string }, actor: AuditActor, opts: { base?: boolean } = {}): ConfigSummary {
	return store().create(name, from, actor, opts);
}

/** A file beside the configs (helper_script.file, provision.files[].source): user folder first, then built-in. */
export function readConfigAsset(relativePath: string): Buffer {
	return store().readAsset(relativePath);
}

/** Delete a user config; built-ins and bases still extended are refused. Audited. */
export function deleteConfig(name: string, actor: AuditActor): void {
	store().remove(name, actor);
}

/** Restore an earlier version: saved again as the newest version. Audited (config.restore). */
export function restoreConfigVersion(name: string, version: number, actor: AuditActor): ConfigSummary {
	return store().restore(name, version, actor);
}

/** A config's versions, newest first (the file is read first, so an edit made on disk is among them). */
export function listConfigVersions(name: string): ConfigVersionSummary[] {
	return store().versions(name);
}

export function getConfigVersion(name: string, version: number): ConfigVersionView {
	return store().version(name, version);
}

/** A unified diff between two versions of one config. */
export function diffConfigVersions(name: string, from: number, to: number): { from: ConfigVersionSummary; to: ConfigVersionSummary; diff: string } {
	return store().diff(name, from, to);
}

/** What an environment was built from, and whether its config has changed since (or is gone). */
export function builtFrom(config: string, version: number | null, sha256: string | null): BuiltFrom {
	let current: ConfigText | null;
	try {
		current = store().read(config);
	} catch {
		current = null; // Deleted (or unreadable): it cannot be what was built any more.
	}
	return {
		config,
		version,
		sha256,
		currentVersion: current?.version ?? null,
		changed: current === null || (sha256 !== null && current.sha256 !== sha256)
	};
}

/** A version number from a URL (path segment or query): digits only, from 1. */
export function parseVersion(raw: string | null, field: string): number {
	if (raw === null || !/^[1-9]\d{0,8}$/.test(raw)) {
		const shown = raw === null ? 'missing' : `'${raw.slice(0, 20)}'`;
		throw new SpyreError('bad_request', `${field} must be a version number (1, 2, …); got ${shown}.`, { fields: { [field]: 'Choose a version.' } });
	}
	return Number(raw);
}
