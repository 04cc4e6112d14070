// Loads and validates environment.yaml (path from SPYRE_CONFIG, else the project root / working directory)
// and exposes one typed, frozen config. Owns the start-up errors a user sees when the file is missing or
// wrong. Never logs a secret: problems name the key path, not the value.

import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { singleton, forgetSingleton } from './singleton';

export class ConfigError extends Error {
	readonly problems: string[];
	constructor(message: string, problems: string[] = []) {
		super(message);
		this.name = 'ConfigError';
		this.problems = problems;
	}
}

const port = z.number().int().min(1).max(65535);
const positiveMs = z.number().int().min(1).max(3_600_000);
const nonEmpty = z.string().trim().min(1, 'must not be empty');
const absPath = z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path');
const fingerprint = z
	.string()
	.transform((s) => s.trim().toUpperCase())
	.refine(
		(s) => /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(s),
		'must be a SHA-256 fingerprint: 32 hex pairs separated by colons'
	);
const httpsUrl = z
	.string()
	.refine((s) => URL.canParse(s) && new URL(s).protocol === 'https:', 'must be an https URL');
const httpUrl = z
	.string()
	.refine(
		(s) => URL.canParse(s) && ['http:', 'https:'].includes(new URL(s).protocol),
		'must be an http or https URL'
	);
const ipv4Cidr = z
	.string()
	.regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'must be an IPv4 address with prefix, e.g. 10.0.0.50/24');
const isIpv4 = (v: string) => {
	const parts = v.split('.');
	return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
};
const ipv4 = z.string().refine(isIpv4, 'must be an IPv4 address');
const ipv4Int = (v: string) => v.split('.').reduce((n, p) => n * 256 + Number(p), 0);
const dnsName = z
	.string()
	.regex(
		/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i,
		'must be a DNS name'
	);

const schema = z
	.object({
		server: z
			.object({
				host: nonEmpty.default('127.0.0.1'),
				port: port.default(3000),
				public_url: httpUrl,
				data_dir: absPath
			})
			.strict(),
		database: z.object({ path: absPath.optional() }).strict().default({}),
		configs: z.object({ dir: absPath.optional() }).strict().default({}),
		proxmox: z
			.object({
				url: httpsUrl,
				node: nonEmpty,
				token_id: z
					.string()
					.regex(/^[^@!\s]+@[^@!\s]+![A-Za-z][A-Za-z0-9._-]*$/, 'must look like user@realm!tokenname'),
				token_secret: nonEmpty.optional(),
				token_secret_file: absPath.optional(),
				tls: z
					.object({ ca_file: absPath.optional(), fingerprint: fingerprint.optional() })
					.strict()
					.default({}),
				storage: nonEmpty.default('local-lvm'),
				template_storage: nonEmpty.default('local'),
				bridge: nonEmpty.default('vmbr0'),
				network: z
					.discriminatedUnion('mode', [
						z.object({ mode: z.literal('dhcp') }).strict(),
						z
							.object({
								mode: z.literal('static'),
								/** First and last address handed out, inclusive. */
								range_start: ipv4,
								range_end: ipv4,
								prefix: z.number().int().min(1).max(32),
								gateway: ipv4,
								nameserver: ipv4.optional()
							})
							.strict()
							.superRefine((n, ctx) => {
								if (ipv4Int(n.range_start) > ipv4Int(n.range_end)) {
									ctx.addIssue({ code: 'custom', path: ['range_end'], message: 'must not come before range_start' });
								}
								const mask = n.prefix === 0 ? 0 : (0xffffffff << (32 - n.prefix)) >>> 0;
								const net = (ip: string) => (ipv4Int(ip) & mask) >>> 0;
								if (net(n.gateway) !== net(n.range_start) || net(n.range_end) !== net(n.range_start)) {
									ctx.addIssue({ code: 'custom', path: ['gateway'], message: `must be in the same /${n.prefix} network as the address range` });
								}
							})
					])
					.default({ mode: 'dhcp' }),
				defaults: z
					.object({
						template: nonEmpty.optional(),
						cores: z.number().int().min(1).max(8192).default(2),
						memory_mb: z.number().int().min(16).default(2048),
						disk_gb: z.number().int().min(1).max(131072).default(8)
					})
					.strict()
					.default({ cores: 2, memory_mb: 2048, disk_gb: 8 }),
				request_timeout_ms: positiveMs.default(15_000),
				task_timeout_ms: positiveMs.default(300_000),
				ip_timeout_ms: positiveMs.default(120_000)
			})
			.strict(),
		ssh: z
			.object({
				private_key_path: absPath,
				public_key_path: absPath,
				user: nonEmpty.default('root'),
				port: port.default(22),
				connect_timeout_ms: positiveMs.default(10_000),
				keepalive_interval_ms: positiveMs.default(30_000),
				keepalive_count_max: z.number().int().min(1).max(100).default(5),
				idle_close_ms: positiveMs.default(600_000)
			})
			.strict(),
		proxmox_host_ssh: z
			.object({
				host: nonEmpty,
				port: port.default(22),
				user: nonEmpty.default('root'),
				private_key_path: absPath
			})
			.strict()
			.optional(),
		claude: z
			.object({
				cli_path: nonEmpty.default('claude'),
				config_dir: absPath.optional(),
				/** Where tasks in environments send API calls (ANTHROPIC_BASE_URL); unset = Anthropic's API. */
				api_base_url: httpUrl.optional()
			})
			.strict()
			.default({ cli_path: 'claude' }),
		caddy: z
			.object({
				admin_url: httpUrl.optional(),
				caddyfile_path: absPath.optional(),
				base_domain: dnsName.optional()
			})
			.strict()
			.optional()
	})
	.strict();

/**
 * Checks that span several keys. They run on the raw document even when other keys are wrong, so the
 * first start-up lists every problem at once.
 */
function crossFieldProblems(raw: Record<string, unknown>): string[] {
	const problems: string[] = [];
	const pve = raw.proxmox;
	if (typeof pve !== 'object' || pve === null || Array.isArray(pve)) return problems;
	const p = pve as Record<string, unknown>;
	if (p.token_secret === undefined && p.token_secret_file === undefined) {
		problems.push('proxmox.token_secret: is required (or set proxmox.token_secret_file)');
	}
	if (p.token_secret !== undefined && p.token_secret_file !== undefined) {
		problems.push('proxmox.token_secret_file: set either token_secret or token_secret_file, not both');
	}
	const tls = p.tls as Record<string, unknown> | undefined;
	if (tls && typeof tls === 'object' && tls.ca_file !== undefined && tls.fingerprint !== undefined) {
		problems.push('proxmox.tls: set either ca_file or fingerprint, not both');
	}
	return problems;
}

type RawConfig = z.infer<typeof schema>;

/** base_domain when Spyre's own host name is base_domain or under it; a cookie cannot be scoped to a domain its host is not in. */
export function cookieDomainFor(publicUrl: string, baseDomain: string | undefined): string | undefined {
	if (!baseDomain) return undefined;
	const base = baseDomain.toLowerCase();
	const host = new URL(publicUrl).hostname.toLowerCase();
	return host === base || host.endsWith(`.${base}`) ? base : undefined;
}

/** Plain-language messages for zod's built-in checks ("is required", "must be a number, got text"). */
function friendlyIssue(issue: z.core.$ZodRawIssue): string | undefined {
	if (issue.code === 'invalid_type') {
		if (issue.input === undefined) return 'is required';
		const got = Array.isArray(issue.input) ? 'a list' : issue.input === null ? 'nothing (null)' : `a ${typeof issue.input}`;
		const expected = issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`;
		return `must be ${expected}, got ${got}`;
	}
	if (issue.code === 'invalid_union' || issue.code === 'invalid_value') {
		return 'must be one of the documented values';
	}
	return undefined;
}

export interface SpyreConfig {
	readonly configPath: string;
	readonly server: {
		host: string;
		port: number;
		publicUrl: string;
		dataDir: string;
		secureCookies: boolean;
		/** Session cookie Domain: caddy.base_domain when Spyre's host is in it (service subdomains need the cookie). */
		cookieDomain?: string;
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
		network:
			| { mode: 'dhcp' }
			| { mode: 'static'; rangeStart: string; rangeEnd: string; prefix: number; gateway: string; nameserver?: string };
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
	};
	readonly proxmoxHostSsh?: { host: string; port: number; user: string; privateKeyPath: string };
	readonly claude: { cliPath: string; configDir: string; apiBaseUrl?: string };
	readonly caddy?: { adminUrl?: string; caddyfilePath?: string; baseDomain?: string };
	/** Non-fatal findings, e.g. unknown keys. */
	readonly warnings: readonly string[];
}

function invalid(configPath: string, problems: string[]): ConfigError {
	const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
	return new ConfigError(`${configPath} has ${count}:\n  - ${problems.join('\n  - ')}`, problems);
}

function formatPath(p: ReadonlyArray<PropertyKey>): string {
	return p.map(String).join('.') || '(root)';
}

function readSecretFile(file: string, key: string, problems: string[]): string {
	try {
		const value = fs.readFileSync(file, 'utf8').trim();
		if (!value) problems.push(`${key}: file ${file} is empty`);
		return value;
	} catch (err) {
		const code = (err as NodeJS.ErrnoException).code ?? 'error';
		problems.push(`${key}: cannot read ${file} (${code})`);
		return '';
	}
}

function checkReadable(file: string, key: string, problems: string[]): string {
	try {
		return fs.readFileSync(file, 'utf8');
	} catch (err) {
		const code = (err as NodeJS.ErrnoException).code ?? 'error';
		problems.push(`${key}: cannot read ${file} (${code})`);
		return '';
	}
}

/** Parse and validate YAML text. Throws ConfigError listing every problem with its key path. */
export function parseConfig(text: string, configPath: string): SpyreConfig {
	const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
	if (doc.errors.length > 0) {
		const problems = doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`);
		throw new ConfigError(`${configPath} is not valid YAML:\n  - ${problems.join('\n  - ')}`, problems);
	}
	const raw: unknown = doc.toJS() ?? {};
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
		throw new ConfigError(`${configPath}: the top level must be a mapping of sections`, ['(root): must be a mapping']);
	}

	// Unknown keys warn rather than fail, so an older Spyre can start with a newer file.
	const warnings: string[] = [];
	const crossProblems = crossFieldProblems(raw as Record<string, unknown>);
	const lenient = schema.safeParse(raw, { error: friendlyIssue });
	let cfg: RawConfig;
	if (lenient.success && crossProblems.length > 0) {
		throw invalid(configPath, crossProblems);
	}
	if (lenient.success) {
		cfg = lenient.data;
	} else {
		const unknown = lenient.error.issues.filter((i) => i.code === 'unrecognized_keys');
		const problems = [
			...lenient.error.issues.filter((i) => i.code !== 'unrecognized_keys').map((i) => `${formatPath(i.path)}: ${i.message}`),
			...crossProblems
		];
		for (const issue of unknown) {
			for (const key of (issue as { keys: string[] }).keys) {
				warnings.push(`${formatPath([...issue.path, key])}: unknown key (ignored)`);
			}
		}
		if (problems.length > 0) {
			throw invalid(configPath, problems);
		}
		if (crossProblems.length > 0) {
			throw invalid(configPath, crossProblems);
		}
		cfg = stripUnknown(raw, unknown.map((i) => [...i.path, ...(i as { keys: string[] }).keys]));
	}

	const problems: string[] = [];
	const tokenSecret =
		cfg.proxmox.token_secret ??
		readSecretFile(cfg.proxmox.token_secret_file!, 'proxmox.token_secret_file', problems);
	const ca = cfg.proxmox.tls.ca_file ? checkReadable(cfg.proxmox.tls.ca_file, 'proxmox.tls.ca_file', problems) : undefined;
	checkReadable(cfg.ssh.private_key_path, 'ssh.private_key_path', problems);
	const publicKey = checkReadable(cfg.ssh.public_key_path, 'ssh.public_key_path', problems).trim();
	if (publicKey && !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(publicKey)) {
		problems.push(`ssh.public_key_path: ${cfg.ssh.public_key_path} does not hold an OpenSSH public key`);
	}
	if (cfg.proxmox_host_ssh) {
		checkReadable(cfg.proxmox_host_ssh.private_key_path, 'proxmox_host_ssh.private_key_path', problems);
	}
	if (problems.length > 0) {
		throw invalid(configPath, problems);
	}

	const net = cfg.proxmox.network;
	const config: SpyreConfig = {
		configPath,
		server: {
			host: cfg.server.host,
			port: cfg.server.port,
			publicUrl: cfg.server.public_url.replace(/\/+$/, ''),
			dataDir: cfg.server.data_dir,
			secureCookies: new URL(cfg.server.public_url).protocol === 'https:',
			cookieDomain: cookieDomainFor(cfg.server.public_url, cfg.caddy?.base_domain)
		},
		database: { path: cfg.database.path ?? path.join(cfg.server.data_dir, 'spyre.db') },
		configs: { dir: cfg.configs.dir ?? path.join(cfg.server.data_dir, 'configs') },
		proxmox: {
			url: cfg.proxmox.url.replace(/\/+$/, ''),
			node: cfg.proxmox.node,
			tokenId: cfg.proxmox.token_id,
			tokenSecret,
			tls: { caFile: cfg.proxmox.tls.ca_file, ca, fingerprint: cfg.proxmox.tls.fingerprint },
			storage: cfg.proxmox.storage,
			templateStorage: cfg.proxmox.template_storage,
			bridge: cfg.proxmox.bridge,
			network:
				net.mode === 'dhcp'
					? { mode: 'dhcp' }
					: {
							mode: 'static',
							rangeStart: net.range_start,
							rangeEnd: net.range_end,
							prefix: net.prefix,
							gateway: net.gateway,
							nameserver: net.nameserver
						},
			defaults: {
				template: cfg.proxmox.defaults.template,
				cores: cfg.proxmox.defaults.cores,
				memoryMb: cfg.proxmox.defaults.memory_mb,
				diskGb: cfg.proxmox.defaults.disk_gb
			},
			requestTimeoutMs: cfg.proxmox.request_timeout_ms,
			taskTimeoutMs: cfg.proxmox.task_timeout_ms,
			ipTimeoutMs: cfg.proxmox.ip_timeout_ms
		},
		ssh: {
			privateKeyPath: cfg.ssh.private_key_path,
			publicKeyPath: cfg.ssh.public_key_path,
			publicKey,
			user: cfg.ssh.user,
			port: cfg.ssh.port,
			connectTimeoutMs: cfg.ssh.connect_timeout_ms,
			keepaliveIntervalMs: cfg.ssh.keepalive_interval_ms,
			keepaliveCountMax: cfg.ssh.keepalive_count_max,
			idleCloseMs: cfg.ssh.idle_close_ms
		},
		proxmoxHostSsh: cfg.proxmox_host_ssh
			? {
					host: cfg.proxmox_host_ssh.host,
					port: cfg.proxmox_host_ssh.port,
					user: cfg.proxmox_host_ssh.user,
					privateKeyPath: cfg.proxmox_host_ssh.private_key_path
				}
			: undefined,
		claude: {
			cliPath: cfg.claude.cli_path,
			configDir: cfg.claude.config_dir ?? path.join(cfg.server.data_dir, 'claude'),
			apiBaseUrl: cfg.claude.api_base_url?.replace(/\/+$/, '')
		},
		caddy: cfg.caddy
			? { adminUrl: cfg.caddy.admin_url, caddyfilePath: cfg.caddy.caddyfile_path, baseDomain: cfg.caddy.base_domain }
			: undefined,
		warnings
	};
	return deepFreeze(config);
}

function stripUnknown(raw: unknown, paths: PropertyKey[][]): RawConfig {
	const copy = structuredClone(raw) as Record<string, unknown>;
	for (const p of paths) {
		let node: Record<string, unknown> | undefined = copy;
		for (const key of p.slice(0, -1)) node = node?.[String(key)] as Record<string, unknown> | undefined;
		if (node) delete node[String(p[p.length - 1])];
	}
	return schema.parse(copy);
}

function deepFreeze<T>(value: T): T {
	if (value && typeof value === 'object') {
		for (const v of Object.values(value)) deepFreeze(v);
		Object.freeze(value);
	}
	return value;
}

export function configPathFromEnv(env: NodeJS.ProcessEnv = process.env): string {
	return path.resolve(env.SPYRE_CONFIG ?? path.join(process.cwd(), 'environment.yaml'));
}

/** Read and validate the config file at `file`. Missing file: one line that says to run ./setup.sh. */
export function loadConfig(file: string = configPathFromEnv()): SpyreConfig {
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (err) {
		const code = (err as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') {
			throw new ConfigError(`Spyre is not configured: ${file} does not exist. Run ./setup.sh (or ./setup.sh demo) to create it.`);
		}
		throw new ConfigError(`Cannot read ${file} (${code ?? 'error'}). Check its permissions, or run ./setup.sh.`);
	}
	return parseConfig(text, file);
}

/** The process-wide config, loaded once. */
export function getConfig(): SpyreConfig {
	return singleton('config', () => {
		const cfg = loadConfig();
		for (const w of cfg.warnings) console.warn(`[spyre] config warning: ${w}`);
		return cfg;
	});
}

export function resetConfigForTests(): void {
	forgetSingleton('config');
}
