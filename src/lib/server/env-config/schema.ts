// The shape of environment.yaml as zod checks it: every key, its type, range and default, and the checks that
// span several keys. Messages are plain language and name the key path, never the value.

import path from 'node:path';
import { z } from 'zod';
import { inNetwork, intToIpv4, ipv4ToInt, isIpv4, isIpv4Cidr, parseCidr, reservedAddressProblem } from '$lib/shared/validation/ipv4';
import { DNS_NAME_RE, DNS_NAME_RULE, isDnsName, isIpLiteral } from '$lib/shared/validation/host';
import { isLoopbackHost } from '$lib/shared/validation/loopback';
import { aptProxy, bridge, nodeName, npmRegistry, storageId, templateId } from '../configs/rules';

const port = z.number().int().min(1).max(65535);
const positiveMs = z.number().int().min(1).max(3_600_000);
const nonEmpty = z.string().trim().min(1, 'must not be empty');
const absPath = z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path');
const fingerprint = z
	.string()
	.transform((s) => s.trim().toUpperCase())
	.refine((s) => /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(s), 'must be a SHA-256 fingerprint: 32 hex pairs separated by colons');
const httpsUrl = z.string().refine((s) => URL.canParse(s) && new URL(s).protocol === 'https:', 'must be an https URL');
const httpUrl = z.string().refine((s) => URL.canParse(s) && ['http:', 'https:'].includes(new URL(s).protocol), 'must be an http or https URL');
const ipv4 = z.string().refine((v) => isIpv4(v), 'must be an IPv4 address such as 10.0.0.5 (no leading zeros)');
/** The DHCP network of environments: a real unicast network, never loopback, link-local or multicast. */
const dhcpNetwork = z
	.string({
		error: (iss) =>
			iss.input === undefined ? 'is required: the IPv4 network DHCP gives environments their addresses in, e.g. 10.0.0.0/24 (Spyre uses no address a container reports outside it)' : undefined
	})
	.refine((v) => isIpv4Cidr(v), 'must be an IPv4 network with its prefix, e.g. 10.0.0.0/24')
	.refine((v) => (parseCidr(v)?.prefix ?? 32) >= 8, 'must be a network of /8 or narrower')
	.refine((v) => {
		const net = parseCidr(v);
		return !net || reservedAddressProblem(intToIpv4(net.base)) === null;
	}, 'must not be a loopback, link-local, multicast or reserved network: environments are never given such addresses');
/** `host:port` for a listener; port 0 takes a free port (then url defaults to the bound one). */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '[::]']);
const hostPort = z
	.string()
	.refine((s) => {
		const m = /^(.+):(\d{1,5})$/.exec(s);
		return m !== null && (isIpLiteral(m[1]) || m[1] === 'localhost');
	}, 'must be host:port with an IPv4 address (no leading zeros), [IPv6 address] or localhost, e.g. 10.0.0.2:3101')
	.refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'must have a port from 0 to 65535');
const dnsName = z.string().regex(DNS_NAME_RE, DNS_NAME_RULE);

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
				node: nodeName,
				token_id: z.string().regex(/^[^@!\s]+@[^@!\s]+![A-Za-z][A-Za-z0-9._-]*$/, 'must look like user@realm!tokenname'),
				token_secret: nonEmpty.optional(),
				token_secret_file: absPath.optional(),
				tls: z.object({ ca_file: absPath.optional(), fingerprint: fingerprint.optional() }).strict().default({}),
				storage: storageId.default('local-lvm'),
				template_storage: storageId.default('local'),
				bridge: bridge.default('vmbr0'),
				network: z.discriminatedUnion(
					'mode',
					[
						z
							.object({
								mode: z.literal('dhcp'),
								/**
								 * The network DHCP hands environments addresses in. Required: an address a CT reports
								 * is used only inside it, so there is no safe default (see docs/security.md, "Addresses").
								 */
								cidr: dhcpNetwork
							})
							.strict(),
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
								// A malformed address is already reported by its own key.
								if (![n.range_start, n.range_end, n.gateway].every((v) => isIpv4(v))) return;
								if (ipv4ToInt(n.range_start) > ipv4ToInt(n.range_end)) {
									ctx.addIssue({ code: 'custom', path: ['range_end'], message: 'must not come before range_start' });
								}
								const network = parseCidr(`${n.range_start}/${n.prefix}`);
								if (network && (!inNetwork(n.gateway, network) || !inNetwork(n.range_end, network))) {
									ctx.addIssue({ code: 'custom', path: ['gateway'], message: `must be in the same /${n.prefix} network as the address range` });
								}
							})
					],
					{
						error: (iss) => (iss.input === undefined ? 'is required: mode: dhcp with cidr (the network DHCP serves environments), or mode: static with an address range' : undefined)
					}
				),
				defaults: z
					.object({
						template: templateId.optional(),
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
				idle_close_ms: positiveMs.default(600_000),
				/**
				 * Spyre's own SSH port into environments (`ssh <environment>@<host> -p <port>`); off unless set.
				 * host_key_path defaults to <data_dir>/gateway_host_ed25519 (made on first start).
				 */
				gateway: z
					.object({
						listen: hostPort,
						host_key_path: absPath.optional(),
						/** The host name users put in ~/.ssh/config; default: server.public_url's host. */
						public_host: z
							.string()
							.refine((v) => isDnsName(v) || isIpv4(v), 'must be a DNS name or an IPv4 address (no leading zeros)')
							.optional(),
						// ssh2's Server (the gateway's SSH server) cannot open the auth-agent@openssh.com channel back
						// to the client that forwarding needs, so only `false` can be honoured today.
						agent_forwarding: z
							.boolean()
							.default(false)
							.refine((v) => v === false, 'cannot be true yet: the gateway cannot forward an agent (its SSH server has no way to open the agent channel back to your client)')
					})
					.strict()
					.optional()
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
				monthly_budget_usd: z.number().positive('must be a positive amount').max(1_000_000).optional(),
				/** Attempt clones (N attempts) that may exist at once across the cluster; more are refused. */
				max_attempt_clones: z.number().int().min(2).max(64).optional()
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
				apt_proxy: aptProxy.optional(),
				/** The npm registry (a mirror) npm in every environment uses (configs may override it). */
				npm_registry: npmRegistry.optional()
			})
			.strict()
			.default({}),
		lifecycle: z
			.object({
				/** Stop an environment nobody used for this long (gracefully); 0 = never. Configs may override it. */
				idle_stop_minutes: z.number().int().min(0).max(525_600).default(0)
			})
			.strict()
			.default({ idle_stop_minutes: 0 })
	})
	.strict();

/**
 * Spyre's session cookie is `__Host-` (Secure): browsers keep it over https, and over plain http only on
 * loopback (localhost, *.localhost, 127.x, [::1]). Anywhere else sign-in could never work, so say so now.
 */
function publicUrlProblems(server: unknown): string[] {
	if (typeof server !== 'object' || server === null) return [];
	const value = (server as Record<string, unknown>).public_url;
	if (typeof value !== 'string') return [];
	let u: URL;
	try {
		u = new URL(value);
	} catch {
		return [];
	}
	if (u.protocol !== 'http:') return [];
	return isLoopbackHost(u.hostname)
		? []
		: ['server.public_url: must be https:// (plain http is only possible on loopback): the session cookie is Secure, and browsers drop Secure cookies from other http:// sites'];
}

/**
 * Path mode (services at /svc/<host>/<service>/ on Spyre's own host) is gone: a service page there acted as
 * the signed-in owner. A caddy section without base_domain still starts, with this warning on every start.
 */
export function crossFieldWarnings(raw: Record<string, unknown>): string[] {
	const caddy = raw.caddy;
	if (typeof caddy !== 'object' || caddy === null || (caddy as Record<string, unknown>).base_domain !== undefined) return [];
	return [
		'caddy.base_domain: not set, so environment services get no URL. Services need caddy.base_domain with wildcard DNS; ' +
			"the old path mode (/svc/<host>/<service>/ on Spyre's own host) was removed because a service page there could act as you in Spyre."
	];
}

/**
 * Checks that span several keys. They run on the raw document even when other keys are wrong, so the
 * first start-up lists every problem at once.
 */
export function crossFieldProblems(raw: Record<string, unknown>): string[] {
	const problems: string[] = [...publicUrlProblems(raw.server)];
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
