// Environment configs as the browser and API clients see them: problems with positions for the editor,
// list summaries, and the resolved config (what the provisioner builds). Plain data, no server imports;
// the zod schema in $lib/server/configs produces exactly these shapes.

import type { TaskPermissionMode } from './claude';

/** Largest config file accepted, in bytes (parse, check and save all refuse more). */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** How many `extends` levels above a config are followed. */
export const MAX_EXTENDS_DEPTH = 8;

export const SERVICE_PROTOCOLS = ['http', 'https', 'tcp'] as const;
export type ServiceProtocol = (typeof SERVICE_PROTOCOLS)[number];

export interface ConfigProblem {
	/** Key path, e.g. `spec.provision.files[2].mode`; '' for the whole file. */
	path: string;
	message: string;
	/** 1-based; null when the problem has no place in this text (e.g. it comes from a base). */
	line: number | null;
	col: number | null;
	endLine?: number | null;
	endCol?: number | null;
	severity: 'error' | 'warning';
}

export interface ConfigSummary {
	name: string;
	/** Shipped with Spyre (the repo's configs/): read-only, clone to edit. */
	builtIn: boolean;
	/** Lives in a bases/ folder: something other configs `extends`. */
	base: boolean;
	description: string | null;
	extends: string | null;
	valid: boolean;
	/** Number of errors (warnings not counted). */
	problems: number;
	/** The CT template volid it resolves to (its own, a base's or environment.yaml's default); null when invalid. */
	template: string | null;
	/** File mtime in ms for user configs; null for built-ins. */
	updatedAt: number | null;
	/** The config's version number (its history), null when the file could not be read. */
	version: number | null;
}

/** How a config version came to be: a save, create or restore through Spyre, or a change seen on disk. */
export type ConfigVersionSource = 'save' | 'create' | 'restore' | 'disk';

export interface ConfigVersionSummary {
	name: string;
	version: number;
	sha256: string;
	/** Bytes of the text (UTF-8). */
	size: number;
	source: ConfigVersionSource;
	/** For a restore: the version whose text it brought back. */
	restoredFrom: number | null;
	savedAt: number;
	/** The user who saved it through Spyre; null for a change made on disk. */
	savedBy: string | null;
}

export interface ConfigVersionView extends ConfigVersionSummary {
	content: string;
}

/** What an environment was last built from, and whether that config changed since. */
export interface BuiltFrom {
	config: string;
	version: number | null;
	sha256: string | null;
	/** The config's version now; null when the config no longer exists. */
	currentVersion: number | null;
	/** The config's content now differs from what was built (or the config is gone). */
	changed: boolean;
}

export interface ResolvedFile {
	path: string;
	/** Inline content, or null when `source` names a file next to the configs. */
	content: string | null;
	source: string | null;
	/** Numeric mode, e.g. 0o644 (420); null = leave the default (umask). */
	mode: number | null;
	/** `user` or `user:group`; null = root. */
	owner: string | null;
}

export interface ResolvedUser {
	name: string;
	groups: string[];
	shell: string | null;
	ssh_keys: string[];
}

export interface ResolvedScript {
	name: string;
	run: string;
	/** null = the SSH user (root). */
	user: string | null;
	workdir: string | null;
	env: Record<string, string>;
	/** Seconds. */
	timeout: number;
}

export interface ResolvedService {
	name: string;
	port: number;
	protocol: ServiceProtocol;
	/** https only: whether Caddy checks the certificate the service presents (absent for http and tcp). */
	tlsVerify?: boolean;
}

/** A repository cloned into the environment (`spec.repos`). */
export interface ResolvedRepo {
	url: string;
	ref: string;
	/** Normalised: absolute, or relative to the SSH user's home (where every SSH command starts). */
	path: string;
	/** Commits of a shallow clone; null = the whole history. */
	depth: number | null;
	/** Name of a stored credential; null = none (a public repo). */
	credential: string | null;
}

export interface ResolvedHelperScript {
	url: string | null;
	/** Path relative to the configs directory, when the script ships beside the configs. */
	file: string | null;
	/** Lowercase hex; required for `url`, optional for `file`. */
	sha256: string | null;
	vars: Record<string, string>;
	/** Seconds. */
	timeout: number;
}

/** The resolved config: `extends` merged, environment.yaml defaults applied, every value checked. */
export interface EnvironmentConfig {
	apiVersion: 'spyre/v1';
	kind: 'Environment';
	metadata: { name: string; description: string | null };
	/** The direct base, or null. */
	extends: string | null;
	spec: {
		platform: {
			node: string;
			template: string;
			cores: number;
			/** MiB. */
			memory: number;
			/** MiB. */
			swap: number;
			/** GB. */
			disk: number;
			storage: string;
			network: {
				bridge: string;
				/** 'dhcp', an IPv4 CIDR, or null = as environment.yaml says (dhcp or its static range). */
				ip: string | null;
				gw: string | null;
			};
			features: { nesting: boolean };
			onboot: boolean;
			tags: string[];
		};
		helper_script: ResolvedHelperScript | null;
		provision: {
			packages: string[];
			files: ResolvedFile[];
			users: ResolvedUser[];
			scripts: ResolvedScript[];
			/** http://host:port the package manager goes through in the packages step; null = direct. */
			apt_proxy: string | null;
			/** The npm registry (ending in /) the packages step points npm at; null = npm's own default. */
			npm_registry: string | null;
		};
		services: ResolvedService[];
		repos: ResolvedRepo[];
		claude: {
			workdir: string | null;
			model: string | null;
			permission_mode: TaskPermissionMode;
			allowed_tools: string[];
			/** Run in each attempt clone after its task; `timeout` in seconds (null: the default). */
			check: { run: string; user: string | null; timeout: number | null } | null;
		} | null;
		/** Idle stop and schedule; null when the config chain sets neither. */
		lifecycle: ResolvedLifecycle | null;
	};
}

export interface ResolvedLifecycle {
	/** Minutes without use before a graceful stop; 0 = never; null = environment.yaml's default. */
	idle_stop_minutes: number | null;
	/** Start and stop times on weekdays ('sun'…'sat', 'HH:MM' in the server's time zone). */
	schedule: { days: string[]; start?: string; stop?: string }[];
}
