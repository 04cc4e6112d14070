// Turns the validated YAML document into the SpyreConfig the app reads: camelCase keys, paths derived from
// data_dir, trailing slashes dropped, the whole tree frozen.

import path from 'node:path';
import { formatNetwork, parseCidr } from '$lib/shared/validation/ipv4';
import { registryBase } from '../configs/rules';
import type { ConfigFiles } from './files';
import type { RawConfig } from './schema';
import type { SpyreConfig } from './types';

/** Eight clones at once: one full set of N attempts (the most one set may ask for). */
export const DEFAULT_MAX_ATTEMPT_CLONES = 8;

function deepFreeze<T>(value: T): T {
	if (value && typeof value === 'object') {
		for (const v of Object.values(value)) deepFreeze(v);
		Object.freeze(value);
	}
	return value;
}

/** The app's config from the validated document, the files it names and the warnings found on the way. */
export function toSpyreConfig(cfg: RawConfig, configPath: string, files: ConfigFiles, warnings: string[]): SpyreConfig {
	const { tokenSecret, ca, publicKey } = files;
	const net = cfg.proxmox.network;
	const config: SpyreConfig = {
		configPath,
		server: {
			host: cfg.server.host,
			port: cfg.server.port,
			publicUrl: cfg.server.public_url.replace(/\/+$/, ''),
			dataDir: cfg.server.data_dir
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
					? { mode: 'dhcp', cidr: formatNetwork(parseCidr(net.cidr)!) }
					: {
							mode: 'static',
							cidr: formatNetwork(parseCidr(`${net.range_start}/${net.prefix}`)!),
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
			idleCloseMs: cfg.ssh.idle_close_ms,
			...(cfg.ssh.gateway
				? {
						gateway: {
							...splitListen(cfg.ssh.gateway.listen),
							hostKeyPath: cfg.ssh.gateway.host_key_path ?? path.join(cfg.server.data_dir, 'gateway_host_ed25519'),
							publicHost: cfg.ssh.gateway.public_host ?? new URL(cfg.server.public_url).hostname.replace(/^\[|\]$/g, ''),
							agentForwarding: cfg.ssh.gateway.agent_forwarding
						}
					}
				: {})
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
			apiBaseUrl: cfg.claude.api_base_url?.replace(/\/+$/, ''),
			...(cfg.claude.broker ? { broker: brokerListen(cfg.claude.broker) } : {}),
			...(cfg.claude.monthly_budget_usd !== undefined ? { monthlyBudgetUsd: cfg.claude.monthly_budget_usd } : {}),
			maxAttemptClones: cfg.claude.max_attempt_clones ?? DEFAULT_MAX_ATTEMPT_CLONES
		},
		caddy: cfg.caddy ? { adminUrl: cfg.caddy.admin_url, caddyfilePath: cfg.caddy.caddyfile_path, baseDomain: cfg.caddy.base_domain } : undefined,
		// A trailing slash means the same proxy; apt writes it as given. A registry URL is a base that npm
		// appends package names to: it always ends in one slash.
		provision: { aptProxy: cfg.provision.apt_proxy?.replace(/\/+$/, ''), npmRegistry: registryBase(cfg.provision.npm_registry) },
		lifecycle: { idleStopMinutes: cfg.lifecycle.idle_stop_minutes },
		warnings
	};
	return deepFreeze(config);
}

/** `host:port` (schema.ts `hostPort`) as a host to bind (brackets of an IPv6 literal dropped) and a port. */
function splitListen(listen: string): { host: string; port: number } {
	const at = listen.lastIndexOf(':');
	return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) };
}

function brokerListen(b: { listen: string; url?: string }): { host: string; port: number; url?: string } {
	return { ...splitListen(b.listen), ...(b.url ? { url: b.url.replace(/\/+$/, '') } : {}) };
}
