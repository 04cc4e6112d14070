// Environment configs as one namespace for routes and the provisioner:
// `import * as configs from '$lib/server/configs'`, then `configs.resolveConfig('dev-web')`.
// The store reads its folders and defaults from environment.yaml; the built-in examples come from the
// repo's configs/ (SPYRE_BUILTIN_CONFIGS overrides, for tests and unusual layouts).

import path from 'node:path';
import type { ConfigProblem, ConfigSummary, EnvironmentConfig } from '$lib/types/configs';
import { record, type AuditActor } from '../audit';
import { getConfig } from '../env-config';
import { singleton } from '../singleton';
import { platformDefaultsFrom } from './defaults';
import { createConfigStore, type ConfigStore } from './store';

export { ConfigValidationError } from './validation-error';
export { configJsonSchema } from './schema';
export { createConfigStore, type ConfigStore } from './store';
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
			record: (actor, action, target, outcome, detail) => record(actor, action, target, outcome, detail)
		})
	);
}

export function listConfigs(): ConfigSummary[] {
	return store().list();
}

/** The text of one config. SpyreError not_found (no such config) or bad_request (not a slug). */
export function readConfig(name: string): { name: string; builtIn: boolean; base: boolean; text: string; updatedAt: number | null } {
	return store().read(name);
}

/** What the editor calls as you type: every problem with its position, and the resolved config if valid. */
export function checkConfigText(text: string, opts: { name?: string } = {}): { problems: ConfigProblem[]; resolved: EnvironmentConfig | null } {
	const { problems, resolved } = store().check(text, opts);
	return { problems, resolved };
}

/** The resolved config to provision. Throws ConfigValidationError (SpyreError 'validation', with problems). */
export function resolveConfig(name: string): { config: EnvironmentConfig; text: string; chain: string[] } {
	return store().resolve(name);
}

/** Save a user config (drafts with errors are kept; unreadable YAML and > 256 KiB are refused). Audited. */
export function saveConfig(name: string, text: string, actor: AuditActor): ConfigSummary {
	return store().save(name, text, actor);
}

/** New user config: blank, extending a base, or a clone. `opts.base` puts it in bases/. Audited. */
export function createConfig(
	name: string,
	from: { blank: true } | { base: string } | { clone: string },
	actor: AuditActor,
	opts: { base?: boolean } = {}
): ConfigSummary {
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
