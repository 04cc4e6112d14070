// The browser's calls for configs and provisioning, in one typed place (URLs built here, not in pages).

import { call } from './api';
import { apiRoutes } from '$lib/shared/routes';
import type { ConfigProblem, ConfigSummary, ConfigVersionSummary, ConfigVersionView, EnvironmentConfig } from '$lib/shared/types/configs';
import type { NodeView, RunSummary, RunView } from '$lib/shared/types/environments';
import type { SchemaNode } from './yaml-keys';

export type ConfigFrom = { blank: true } | { base: string } | { clone: string };

export interface CheckResult {
	problems: ConfigProblem[];
	resolved: EnvironmentConfig | null;
}

export const configsApi = {
	list: () => call<{ configs: ConfigSummary[] }>('GET', apiRoutes.configs()).then((r) => r.configs),
	create: (name: string, from: ConfigFrom) => call<{ config: ConfigSummary }>('POST', apiRoutes.configs(), { name, from }).then((r) => r.config),
	save: (name: string, text: string) => call<{ config: ConfigSummary }>('PUT', apiRoutes.config(name), { text }).then((r) => r.config),
	remove: (name: string) => call<null>('DELETE', apiRoutes.config(name)),
	check: (text: string, name?: string) => call<CheckResult>('POST', apiRoutes.configCheck(), { text, name }),
	schema: () => call<SchemaNode>('GET', apiRoutes.configSchema()),
	versions: (name: string) => call<{ versions: ConfigVersionSummary[] }>('GET', apiRoutes.configVersions(name)).then((r) => r.versions),
	version: (name: string, version: number) => call<{ version: ConfigVersionView }>('GET', apiRoutes.configVersion(name, version)).then((r) => r.version),
	diff: (name: string, from: number, to: number) => call<{ from: ConfigVersionSummary; to: ConfigVersionSummary; diff: string }>('GET', apiRoutes.configDiff(name, from, to)),
	restore: (name: string, version: number) => call<{ config: ConfigSummary }>('POST', apiRoutes.configRestore(name, version)).then((r) => r.config)
};

export const provisionApi = {
	/** `version`: the config version the form said it builds; the server refuses if the config moved on. `template` replaces the config's for this environment (when the node lacks the config's). */
	start: (input: { config: string; hostname: string; node: string; version?: number; template?: string }) => call<{ id: string }>('POST', apiRoutes.provision(), input),
	/** The newest provision run (later start or stop runs do not replace it). */
	run: (id: string) => call<{ run: RunView | null }>('GET', apiRoutes.run(id, { kind: 'provision' })).then((r) => r.run),
	/** One recorded run with its log, by id. */
	runById: (id: string, runId: number, before?: number) => call<{ run: RunView | null }>('GET', apiRoutes.run(id, { run: runId, before })).then((r) => r.run),
	/** Runs older than `before` (a run id), newest first; `more` when older ones remain. */
	olderRuns: (id: string, before: number) => call<{ runs: RunSummary[]; more: boolean }>('GET', apiRoutes.runs(id, before)),
	cancel: (id: string) => call<unknown>('POST', apiRoutes.cancel(id)),
	retry: (id: string, fromStep: string | null) => call<unknown>('POST', apiRoutes.retry(id), fromStep ? { fromStep } : {}),
	nodes: () => call<{ nodes: NodeView[] }>('GET', apiRoutes.environments()).then((r) => r.nodes),
	/** The CT templates on a node, and environment.yaml's default template. */
	templates: (node: string) => call<{ templates: Array<{ volid: string; name: string }>; default: string | null }>('GET', apiRoutes.templates(node))
};

let schemaPromise: Promise<SchemaNode> | null = null;
/** The JSON Schema, fetched once per page load. */
export function loadSchema(): Promise<SchemaNode> {
	schemaPromise ??= configsApi.schema().catch((err) => {
		schemaPromise = null;
		throw err;
	});
	return schemaPromise;
}
