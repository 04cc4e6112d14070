// The typed, frozen config the rest of Spyre reads (camelCase, defaults applied, files read). The YAML
// shape it comes from is schema.ts.

export interface SpyreConfig {
	readonly configPath: string;
	readonly server: {
		host: string;
		port: number;
		publicUrl: string;
		dataDir: string;
	};
	readonly database: { path: string };
	/** Where user environment configs live (may be a git checkout); default <data_dir>/configs. */
	readonly configs: { dir: string };
	readonly proxmox: {
		url: string;
		node: string;
		tokenId: string;
		tokenSecret: string;
		tls: { caFile?: string; ca?: string; fingerprint?: string };
		storage: string;
		templateStorage: string;
		bridge: string;
		/**
		 * `cidr` is the network environments' addresses must lie in, canonical (`10.0.0.0/24`): the DHCP
		 * network as configured, or the static range's network. See `$lib/shared/validation/ipv4`.
		 */
		network: { mode: 'dhcp'; cidr: string } | { mode: 'static'; cidr: string; rangeStart: string; rangeEnd: string; prefix: number; gateway: string; nameserver?: string };
		defaults: { template?: string; cores: number; memoryMb: number; diskGb: number };
		requestTimeoutMs: number;
		taskTimeoutMs: number;
		ipTimeoutMs: number;
	};
	readonly ssh: {
		privateKeyPath: string;
		publicKeyPath: string;
		publicKey: string;
		user: string;
		port: number;
		connectTimeoutMs: number;
		keepaliveIntervalMs: number;
		keepaliveCountMax: number;
		idleCloseMs: number;
		/** The SSH gateway (`ssh.gateway`); absent = off. */
		gateway?: { host: string; port: number; hostKeyPath: string; publicHost: string; agentForwarding: boolean };
	};
	readonly proxmoxHostSsh?: { host: string; port: number; user: string; privateKeyPath: string };
	readonly claude: {
		cliPath: string;
		configDir: string;
		apiBaseUrl?: string;
		/** The credential broker's listener; `url` is what environments use (default: the bound address). */
		broker?: { host: string; port: number; url?: string };
		monthlyBudgetUsd?: number;
		/** Attempt clones that may exist at once across the cluster (claude.max_attempt_clones). */
		maxAttemptClones: number;
	};
	readonly caddy?: { adminUrl?: string; caddyfilePath?: string; baseDomain?: string };
	/**
	 * `aptProxy`: http://host:port the packages step points the CT's package manager at; `npmRegistry`: the
	 * registry URL (ending in /) it points npm at. Configs may override either.
	 */
	readonly provision: { aptProxy?: string; npmRegistry?: string };
	/** `idleStopMinutes`: the default idle stop of environments whose config sets none; 0 = never. */
	readonly lifecycle: { idleStopMinutes: number };
	/** Non-fatal findings, e.g. unknown keys. */
	readonly warnings: readonly string[];
}
