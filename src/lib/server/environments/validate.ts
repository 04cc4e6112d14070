// Validation of a create request (browser form or API). Pure: the caller passes what it knows about the
// cluster (node capacity, templates), so the rules are unit-testable. Messages are per field, for inline
// display. The per-field rules themselves live in $lib/shared/validation/environment, which the create form uses
// too; this module adds what only the server knows (taken hostnames, nodes, templates on the node).

import { SpyreError } from '../errors';
import type { CreateEnvironmentInput, NodeView } from '$lib/shared/types/environments';
import { environmentAddressProblem, isIpv4, isIpv4Cidr, parseCidr } from '$lib/shared/validation/ipv4';
import { isProxmoxId, PROXMOX_ID_RULES } from '$lib/shared/validation/proxmox';
import { capacityProblem, hostnameProblem, LIMITS, sizeProblem, templateProblem, toNumber } from '$lib/shared/validation/environment';

function intField(raw: unknown, name: 'cores' | 'memory' | 'disk', fields: Record<string, string>): number {
	const problem = sizeProblem(name, raw);
	if (problem) fields[name] = problem;
	const n = toNumber(raw);
	return typeof n === 'number' && Number.isInteger(n) ? n : 0;
}

export interface ClusterFacts {
	nodes: NodeView[];
	defaultNode: string;
	/** Template volids available on the chosen node, or null when they could not be listed. */
	templates: string[] | null;
	isHostnameTaken: (hostname: string) => boolean;
}

/** Parse untrusted input into a CreateEnvironmentInput, or throw SpyreError('validation') with `fields`. */
export function validateCreate(input: Record<string, unknown>, facts: ClusterFacts): Required<CreateEnvironmentInput> {
	const fields: Record<string, string> = {};
	const hostname = typeof input.hostname === 'string' ? input.hostname.trim() : '';
	const hostnameRule = hostnameProblem(hostname);
	if (hostnameRule) fields.hostname = hostnameRule;
	else if (facts.isHostnameTaken(hostname)) fields.hostname = `An environment named ${hostname} already exists.`;

	const nodeRaw = input.node === undefined || input.node === null || input.node === '' ? facts.defaultNode : input.node;
	const node = typeof nodeRaw === 'string' ? nodeRaw : '';
	const nodeInfo = facts.nodes.find((n) => n.node === node);
	if (!node) fields.node = 'Choose a node.';
	else if (facts.nodes.length > 0 && !nodeInfo) fields.node = `Node ${node} is not part of this cluster.`;
	else if (nodeInfo && nodeInfo.status !== 'online') fields.node = `Node ${node} is ${nodeInfo.status}; choose an online node.`;

	const template = typeof input.template === 'string' ? input.template.trim() : '';
	const templateRule = templateProblem(template);
	if (templateRule) fields.template = templateRule;
	else if (facts.templates && !facts.templates.includes(template)) fields.template = `Template ${template} is not available on node ${node}.`;

	const sizes = { cores: intField(input.cores, 'cores', fields), memory: intField(input.memory, 'memory', fields), disk: intField(input.disk, 'disk', fields) };
	for (const field of ['cores', 'memory', 'disk'] as const) {
		const problem = fields[field] ? null : capacityProblem(field, sizes[field], nodeInfo);
		if (problem) fields[field] = problem;
	}
	const { cores, memory, disk } = sizes;

	const known = new Set(['hostname', 'template', 'cores', 'memory', 'disk', 'node']);
	const unknown = Object.keys(input).filter((k) => !known.has(k));
	if (unknown.length > 0) fields._ = `Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 5).join(', ')}.`;

	if (Object.keys(fields).length > 0) {
		const first = Object.entries(fields)[0];
		throw new SpyreError('validation', `${first[1]}`, { fields });
	}
	return { hostname, template, cores, memory, disk, node };
}

/**
 * Platform settings a config may give beyond the quick form's fields (hostname, template, cores, memory,
 * disk, node). Anything left out falls back to environment.yaml, as for the quick form.
 */
export interface CreatePlatform {
	/** MiB */
	swap?: number;
	storage?: string;
	bridge?: string;
	/** Overrides environment.yaml's network: DHCP, or a fixed IPv4 address with its prefix. */
	network?: 'dhcp' | { cidr: string; gw?: string };
	nameserver?: string;
	nesting?: boolean;
	onboot?: boolean;
	tags?: string[];
}

/** Check platform settings (already parsed by the caller, e.g. a config); throws SpyreError('validation'). */
export function validatePlatform(p: CreatePlatform): CreatePlatform {
	const fields: Record<string, string> = {};
	if (p.swap !== undefined && (!Number.isInteger(p.swap) || p.swap < 0 || p.swap > LIMITS.memory.max)) {
		fields['platform.swap'] = `Swap must be a whole number of MiB between 0 and ${LIMITS.memory.max}.`;
	}
	for (const key of ['storage', 'bridge'] as const) {
		const v = p[key];
		if (v !== undefined && !isProxmoxId(key, v)) fields[`platform.${key}`] = `${key} ${PROXMOX_ID_RULES[key]}.`;
	}
	const net = p.network;
	if (net !== undefined && net !== 'dhcp') {
		if (typeof net !== 'object' || net === null || !isIpv4Cidr(net.cidr) || net.cidr.endsWith('/0')) {
			fields['platform.network'] = 'network must be dhcp or an IPv4 address with its prefix, e.g. 10.0.0.5/24.';
		} else if (environmentAddressProblem(net.cidr.split('/')[0], parseCidr(net.cidr)!)) {
			fields['platform.network'] = `The address ${net.cidr.split('/')[0]} ${environmentAddressProblem(net.cidr.split('/')[0], parseCidr(net.cidr)!)}; an environment cannot have it.`;
		} else if (net.gw !== undefined && !isIpv4(net.gw)) {
			fields['platform.network.gw'] = 'The gateway must be an IPv4 address.';
		}
	}
	if (p.nameserver !== undefined && !isIpv4(p.nameserver)) {
		fields['platform.nameserver'] = 'The nameserver must be an IPv4 address.';
	}
	for (const key of ['nesting', 'onboot'] as const) {
		if (p[key] !== undefined && typeof p[key] !== 'boolean') fields[`platform.${key}`] = `${key} must be true or false.`;
	}
	if (p.tags !== undefined) {
		if (!Array.isArray(p.tags) || p.tags.length > 20) fields['platform.tags'] = 'tags must be a list of at most 20 tags.';
		else {
			const bad = p.tags.find((t) => !isProxmoxId('tag', t));
			if (bad !== undefined) fields['platform.tags'] = `Tag ${JSON.stringify(String(bad)).slice(0, 70)} ${PROXMOX_ID_RULES.tag}.`;
		}
	}
	if (Object.keys(fields).length > 0) throw new SpyreError('validation', Object.values(fields)[0], { fields });
	return p;
}
