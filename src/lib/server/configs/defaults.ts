// Fills a merged config with defaults (environment.yaml's proxmox section, then Spyre's own) and returns
// the typed EnvironmentConfig. Pure: the caller passes the defaults, so the resolver never reads files.

import { DEFAULT_PERMISSION_MODE } from '$lib/shared/types/claude';
import type { EnvironmentConfig, ResolvedService } from '$lib/shared/types/configs';
import type { SpyreConfig } from '../env-config';
import type { ConfigLayer } from './schema';
import { parseMode, registryBase } from './rules';
import { normaliseRepoPath } from '$lib/shared/validation/git';

export interface PlatformDefaults {
	node: string;
	/** Unset in environment.yaml: then every config must name its template. */
	template: string | null;
	cores: number;
	memory: number;
	swap: number;
	disk: number;
	storage: string;
	bridge: string;
	/** environment.yaml `provision.apt_proxy`; a config may override it (or say `none`). */
	aptProxy: string | null;
	/** environment.yaml `provision.npm_registry` (ending in /); a config may override it (or say `none`). */
	npmRegistry: string | null;
}

/** Spyre's own defaults where environment.yaml has no key for them. */
export const BUILTIN_DEFAULTS = { swap: 512, nesting: true, onboot: false, helperTimeout: 900, scriptTimeout: 600 } as const;

export function platformDefaultsFrom(cfg: SpyreConfig): PlatformDefaults {
	return {
		node: cfg.proxmox.node,
		template: cfg.proxmox.defaults.template ?? null,
		cores: cfg.proxmox.defaults.cores,
		memory: cfg.proxmox.defaults.memoryMb,
		swap: BUILTIN_DEFAULTS.swap,
		disk: cfg.proxmox.defaults.diskGb,
		storage: cfg.proxmox.storage,
		bridge: cfg.proxmox.bridge,
		aptProxy: cfg.provision.aptProxy ?? null,
		npmRegistry: cfg.provision.npmRegistry ?? null
	};
}

/** Apply defaults to a merged (already schema-checked) config. `template` may come out '' when unset anywhere. */
export function applyDefaults(merged: ConfigLayer, name: string, defaults: PlatformDefaults): EnvironmentConfig {
	const spec = merged.spec ?? {};
	const p = spec.platform ?? {};
	const prov = spec.provision ?? {};
	const hs = spec.helper_script;
	return {
		apiVersion: 'spyre/v1',
		kind: 'Environment',
		metadata: { name, description: merged.metadata?.description || null },
		extends: merged.extends ?? null,
		spec: {
			platform: {
				node: p.node ?? defaults.node,
				template: p.template ?? defaults.template ?? '',
				cores: p.cores ?? defaults.cores,
				memory: p.memory ?? defaults.memory,
				swap: p.swap ?? defaults.swap,
				disk: p.disk ?? defaults.disk,
				storage: p.storage ?? defaults.storage,
				network: { bridge: p.network?.bridge ?? defaults.bridge, ip: p.network?.ip ?? null, gw: p.network?.gw ?? null },
				features: { nesting: p.features?.nesting ?? BUILTIN_DEFAULTS.nesting },
				onboot: p.onboot ?? BUILTIN_DEFAULTS.onboot,
				tags: [...new Set(p.tags ?? [])]
			},
			helper_script: hs
				? {
						url: hs.url ?? null,
						file: hs.file ?? null,
						sha256: hs.sha256?.toLowerCase() ?? null,
						vars: { ...(hs.vars ?? {}) },
						timeout: hs.timeout ?? BUILTIN_DEFAULTS.helperTimeout
					}
				: null,
			provision: {
				packages: [...new Set(prov.packages ?? [])],
				files: (prov.files ?? []).map((f) => ({
					path: f.path,
					content: f.content ?? null,
					source: f.source ?? null,
					mode: f.mode === undefined ? null : parseMode(f.mode),
					owner: f.owner ?? null
				})),
				users: (prov.users ?? []).map((u) => ({
					name: u.name,
					groups: [...new Set(u.groups ?? [])],
					shell: u.shell ?? null,
					ssh_keys: u.ssh_keys ?? []
				})),
				scripts: (prov.scripts ?? []).map((s) => ({
					name: s.name,
					run: s.run,
					user: s.user ?? null,
					workdir: s.workdir ?? null,
					env: { ...(s.env ?? {}) },
					timeout: s.timeout ?? BUILTIN_DEFAULTS.scriptTimeout
				})),
				apt_proxy: prov.apt_proxy === 'none' ? null : (prov.apt_proxy ?? defaults.aptProxy),
				npm_registry: prov.npm_registry === 'none' ? null : (registryBase(prov.npm_registry) ?? defaults.npmRegistry)
			},
			services: (spec.services ?? []).map(resolveService),
			repos: (spec.repos ?? []).map((repo) => {
				const normal = normaliseRepoPath(repo.path);
				return {
					url: repo.url,
					ref: repo.ref,
					// Checked by the schema already; a path that could not be normalised never gets here.
					path: 'path' in normal ? normal.path : repo.path,
					depth: repo.depth ?? null,
					credential: repo.credential ?? null
				};
			}),
			claude: spec.claude
				? {
						workdir: spec.claude.workdir ?? null,
						model: spec.claude.model ?? null,
						permission_mode: spec.claude.permission_mode ?? DEFAULT_PERMISSION_MODE,
						allowed_tools: spec.claude.allowed_tools ?? [],
						check: spec.claude.check ? { run: spec.claude.check.run, user: spec.claude.check.user ?? null, timeout: spec.claude.check.timeout ?? null } : null
					}
				: null,
			lifecycle: spec.lifecycle
				? {
						idle_stop_minutes: spec.lifecycle.idle_stop_minutes ?? null,
						schedule: (spec.lifecycle.schedule ?? []).map((w) => ({ days: [...w.days], ...(w.start ? { start: w.start } : {}), ...(w.stop ? { stop: w.stop } : {}) }))
					}
				: null
		}
	};
}

type DeclaredService = NonNullable<NonNullable<ConfigLayer['spec']>['services']>[number];

/** http by default; an https service checks its certificate unless the config opts out. */
function resolveService(s: DeclaredService): ResolvedService {
	const protocol = s.protocol ?? 'http';
	return protocol === 'https' ? { name: s.name, port: s.port, protocol, tlsVerify: s.tls_verify ?? true } : { name: s.name, port: s.port, protocol };
}
