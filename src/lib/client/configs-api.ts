// The browser's calls for configs and provisioning, in one typed place (URLs built here, not in pages).

import { call } from './api';
import type { ConfigProblem, ConfigSummary, EnvironmentConfig } from '$lib/types/configs';
import { CONFIG_NAME_RE } from '$lib/types/configs';
import type { NodeView, RunView } from '$lib/types/environments';
import type { SchemaNode } from './yaml-keys';

const enc = encodeURIComponent;

export const configRoutes = {
	list: () => '/api/configs',
	one: (name: string) => `/api/configs/${enc(name)}`,
	check: () => '/api/configs/check',
	schema: () => '/api/configs/schema',
	page: (name: string) => `/configs/${enc(name)}`,
	provision: () => '/api/environments/provision',
	run: (id: string) => `/api/environments/${enc(id)}/run`,
	cancel: (id: string) => `/api/environments/${enc(id)}/cancel`,
	retry: (id: string) => `/api/environments/${enc(id)}/retry`
};

export type ConfigFrom = { blank: true } | { base: string } | { clone: string };

export interface CheckResult {
	problems: ConfigProblem[];
	resolved: EnvironmentConfig | null;
}

/** Names the API routes use for themselves, so a config cannot be called that. */
const RESERVED = new Set(['check', 'schema', 'new']);

/** The inline message for a config name, or null when it is fine (the server checks again). */
export function configNameProblem(name: string, taken: readonly string[]): string | null {
	if (!name) return 'Enter a name.';
	if (name.length > 63) return 'A name has at most 63 characters.';
	if (!CONFIG_NAME_RE.test(name)) return 'Use lowercase letters, digits and hyphens, starting with a letter or digit.';
	if (RESERVED.has(name)) return `“${name}” is reserved; choose another name.`;
	if (taken.includes(name)) return `A config named ${name} already exists.`;
	return null;
}

export const configsApi = {
	list: () => call<{ configs: ConfigSummary[] }>('GET', configRoutes.list()).then((r) => r.configs),
	create: (name: string, from: ConfigFrom) => call<{ config: ConfigSummary }>('POST', configRoutes.list(), { name, from }).then((r) => r.config),
	save: (name: string, text: string) => call<{ config: ConfigSummary }>('PUT', configRoutes.one(name), { text }).then((r) => r.config),
	remove: (name: string) => call<null>('DELETE', configRoutes.one(name)),
	check: (text: string, name?: string) => call<CheckResult>('POST', configRoutes.check(), { text, name }),
	schema: () => call<SchemaNode>('GET', configRoutes.schema())
};

export const provisionApi = {
	start: (input: { config: string; hostname: string; node: string }) => call<{ id: string }>('POST', configRoutes.provision(), input),
	run: (id: string) => call<{ run: RunView | null }>('GET', configRoutes.run(id)).then((r) => r.run),
	cancel: (id: string) => call<unknown>('POST', configRoutes.cancel(id)),
	retry: (id: string, fromStep: string | null) => call<unknown>('POST', configRoutes.retry(id), fromStep ? { fromStep } : {}),
	nodes: () => call<{ nodes: NodeView[] }>('GET', '/api/environments').then((r) => r.nodes)
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

/** Same rule as the quick form: a DNS label. */
export const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export function hostnameProblem(hostname: string): string | null {
	if (!hostname) return 'Enter a hostname.';
	if (hostname.length > 63) return 'A hostname has at most 63 characters.';
	if (!HOSTNAME_RE.test(hostname)) return 'Use lowercase letters, digits and hyphens (a DNS name), not starting or ending with a hyphen.';
	return null;
}
