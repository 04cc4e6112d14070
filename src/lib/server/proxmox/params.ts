// Builds Proxmox request parameters: form bodies and query strings (booleans as 0/1, fully percent-encoded by
// URLSearchParams) and the property strings PVE packs into one parameter (`rootfs`, `net0`, `features`).
// Pure; never talks to the network.

import type { CreateLxcParams } from '$lib/shared/types/proxmox';

export type ParamValue = string | number | boolean | undefined | null;

/** Form/query encoding: `true`/`false` become `1`/`0` (PVE answers 400 to `true`); undefined and null are left out. */
export function toParams(values: Record<string, ParamValue>): URLSearchParams {
	const params = new URLSearchParams();
	for (const [key, value] of Object.entries(values)) {
		if (value === undefined || value === null) continue;
		if (typeof value === 'boolean') params.append(key, value ? '1' : '0');
		else params.append(key, String(value));
	}
	return params;
}

export function buildNet0(net: CreateLxcParams['net0']): string {
	const parts = ['name=eth0', `bridge=${net.bridge}`];
	if (net.ip === 'dhcp') parts.push('ip=dhcp');
	else {
		parts.push(`ip=${net.ip.cidr}`);
		if (net.ip.gw) parts.push(`gw=${net.ip.gw}`);
	}
	return parts.join(',');
}

export function buildRootfs(rootfs: CreateLxcParams['rootfs']): string {
	return `${rootfs.storage}:${rootfs.sizeGb}`;
}

export function buildFeatures(features: CreateLxcParams['features']): string | undefined {
	if (!features || features.nesting === undefined) return undefined;
	return `nesting=${features.nesting ? 1 : 0}`;
}

function list(value: string | string[] | undefined, sep: string): string | undefined {
	if (value === undefined) return undefined;
	const items = (Array.isArray(value) ? value : [value]).map((s) => s.trim()).filter(Boolean);
	return items.length > 0 ? items.join(sep) : undefined;
}

/** The form fields of `POST /nodes/{node}/lxc`. */
export function createLxcParams(p: CreateLxcParams): Record<string, ParamValue> {
	return {
		vmid: p.vmid,
		ostemplate: p.ostemplate,
		hostname: p.hostname,
		cores: p.cores,
		memory: p.memory,
		swap: p.swap,
		rootfs: buildRootfs(p.rootfs),
		net0: buildNet0(p.net0),
		features: buildFeatures(p.features),
		unprivileged: p.unprivileged,
		// Newline-separated, plain form encoding (PVE validates them with `ssh-keygen -l`).
		'ssh-public-keys': list(p.sshPublicKeys, '\n'),
		start: p.start,
		password: p.password,
		tags: list(p.tags, ';'),
		description: p.description,
		onboot: p.onboot,
		nameserver: p.nameserver,
		searchdomain: p.searchdomain,
		pool: p.pool
	};
}

/**
 * Split a PVE property string (`name=eth0,bridge=vmbr0,ip=dhcp`) into its keys. A leading bare value (as in
 * `local-lvm:vm-101-disk-0,size=8G`) is returned under `defaultKey`.
 */
export function parsePropertyString(value: string, defaultKey = 'volume'): Record<string, string> {
	const out: Record<string, string> = {};
	for (const part of value.split(',')) {
		if (!part) continue;
		const eq = part.indexOf('=');
		if (eq === -1) out[defaultKey] = part;
		else out[part.slice(0, eq)] = part.slice(eq + 1);
	}
	return out;
}
