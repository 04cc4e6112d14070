// The shape of environment.yaml as zod checks it: every key, its type, range and default, and the checks that
// span several keys. Messages are plain language and name the key path, never the value.

import path from 'node:path';
import { z } from 'zod';
import { aptProxy } from '../configs/rules';

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
/** `host:port` for a listener; port 0 takes a free port (then url defaults to the bound one). */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '[::]']);
const hostPort = z
	.string()
	.regex(/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|localhost):\d{1,5}$/, 'must be host:port, e.g. 10.0.0.2:3101')
	.refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'must have a port from 0 to 65535');
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

export const configSchema = z
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
				/** Where the broker (or, with the opt-in, a task itself) sends API calls; unset = Anthropic's API. */
				api_base_url: httpUrl.optional(),
				/** The credential broker: its own listener on an address the environments can reach. */
				broker: z
					.object({
						listen: hostPort,
						/** The URL environments use (ANTHROPIC_BASE_URL); default http://<listen>. */
						url: httpUrl.optional()
					})
					.strict()
					.refine((b) => b.url !== undefined || !WILDCARD_HOSTS.has(b.listen.slice(0, b.listen.lastIndexOf(':'))), {
						message: 'needs url: the broker listens on every address, so say which one environments use',
						path: ['url']
					})
					.optional(),
				/** Refuse further Claude calls once this month's measured spend (UTC calendar month) reaches it. */
				monthly_budget_usd: z.number().positive('must be a positive amount').max(1_000_000).optional()
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
			.optional(),
		provision: z
			.object({
				/** The package managers' proxy in every environment (configs may override it). */
				apt_proxy: aptProxy.optional()
			})
			.strict()
			.default({})
	})
	.strict();

/**
 * Checks that span several keys. They run on the raw document even when other keys are wrong, so the
 * first start-up lists every problem at once.
 */
export function crossFieldProblems(raw: Record<string, unknown>): string[] {
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

export type RawConfig = z.infer<typeof configSchema>;

/** Plain-language messages for zod's built-in checks ("is required", "must be a number, got text"). */
export function friendlyIssue(issue: z.core.$ZodRawIssue): string | undefined {
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
