// Validation of a create request (browser form or API). Pure: the caller passes what it knows about the
// cluster (node capacity, templates), so the rules are unit-testable. Messages are per field, for inline
// display.

import { SpyreError } from '../errors';
import type { CreateEnvironmentInput, NodeView } from '$lib/types/environments';

/** One DNS label: what Proxmox accepts as a CT hostname and what is safe in URLs and shells. */
export const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const LIMITS = {
	cores: { min: 1, max: 128 },
	memory: { min: 64, max: 1024 * 1024 },
	disk: { min: 1, max: 16 * 1024 }
} as const;

function intField(
	raw: unknown,
	name: 'cores' | 'memory' | 'disk',
	label: string,
	unit: string,
	fields: Record<string, string>
): number {
	const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
	const { min, max } = LIMITS[name];
	if (typeof n !== 'number' || !Number.isInteger(n)) {
		fields[name] = `${label} must be a whole number${unit ? ` of ${unit}` : ''}.`;
		return 0;
	}
	if (n < min || n > max) fields[name] = `${label} must be between ${min} and ${max}${unit ? ` ${unit}` : ''}.`;
	return n;
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
	if (!hostname) fields.hostname = 'Enter a hostname.';
	else if (hostname.length > 63) fields.hostname = 'A hostname has at most 63 characters.';
	else if (!HOSTNAME_RE.test(hostname)) {
		fields.hostname = 'Use lowercase letters, digits and hyphens (a DNS name), not starting or ending with a hyphen.';
	} else if (facts.isHostnameTaken(hostname)) fields.hostname = `An environment named ${hostname} already exists.`;

	const nodeRaw = input.node === undefined || input.node === null || input.node === '' ? facts.defaultNode : input.node;
	const node = typeof nodeRaw === 'string' ? nodeRaw : '';
	const nodeInfo = facts.nodes.find((n) => n.node === node);
	if (!node) fields.node = 'Choose a node.';
	else if (facts.nodes.length > 0 && !nodeInfo) fields.node = `Node ${node} is not part of this cluster.`;
	else if (nodeInfo && nodeInfo.status !== 'online') fields.node = `Node ${node} is ${nodeInfo.status}; choose an online node.`;

	const template = typeof input.template === 'string' ? input.template.trim() : '';
	if (!template) fields.template = 'Choose a template.';
	else if (!/^[A-Za-z0-9._-]+:vztmpl\/[A-Za-z0-9._+-]+$/.test(template)) fields.template = 'That is not a container template volume id.';
	else if (facts.templates && !facts.templates.includes(template)) fields.template = `Template ${template} is not available on node ${node}.`;

	const cores = intField(input.cores, 'cores', 'Cores', '', fields);
	const memory = intField(input.memory, 'memory', 'Memory', 'MiB', fields);
	const disk = intField(input.disk, 'disk', 'Disk', 'GiB', fields);

	if (nodeInfo && nodeInfo.maxcpu > 0 && !fields.cores && cores > nodeInfo.maxcpu) {
		fields.cores = `Node ${node} has ${nodeInfo.maxcpu} cores.`;
	}
	if (nodeInfo && nodeInfo.maxmem > 0 && !fields.memory && memory * 1024 * 1024 > nodeInfo.maxmem) {
		fields.memory = `Node ${node} has ${Math.floor(nodeInfo.maxmem / 1024 / 1024)} MiB of memory.`;
	}
	if (nodeInfo && nodeInfo.maxdisk > 0 && !fields.disk && disk * 1024 ** 3 > nodeInfo.maxdisk) {
		fields.disk = `Node ${node} has ${Math.floor(nodeInfo.maxdisk / 1024 ** 3)} GiB of disk.`;
	}

	const known = new Set(['hostname', 'template', 'cores', 'memory', 'disk', 'node']);
	const unknown = Object.keys(input).filter((k) => !known.has(k));
	if (unknown.length > 0) fields._ = `Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 5).join(', ')}.`;

	if (Object.keys(fields).length > 0) {
		const first = Object.entries(fields)[0];
		throw new SpyreError('validation', `${first[1]}`, { fields });
	}
	return { hostname, template, cores, memory, disk, node };
}
