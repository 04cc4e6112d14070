// The rules for a new environment's quick-form fields, shared by the create form (inline messages as the
// person types) and the server (src/lib/server/environments/validate.ts, which adds what only it knows:
// taken hostnames, the node list, available templates). One copy, so the form never accepts what the
// server refuses or words the same problem differently. Pure: no browser or server imports.

import { isProxmoxId } from './proxmox';

/**
 * The one rule for a hostname and a service name: one DNS label (what Proxmox accepts as a CT hostname,
 * safe in URLs and shells) without `--`. `--` is the separator of a service's DNS label
 * (`<service>--<hostname>`, see proxy/routes.ts), so no two (service, hostname) pairs can share a label.
 */
export const DNS_LABEL_RE = /^(?!.*--)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const HOSTNAME_RE = DNS_LABEL_RE;
/** Between service and hostname in a service's DNS label; can occur in neither. */
export const SERVICE_LABEL_SEPARATOR = '--';

/** Size bounds: cores, memory in MiB, disk in GiB. */
export const LIMITS = {
	cores: { min: 1, max: 128 },
	memory: { min: 64, max: 1024 * 1024 },
	disk: { min: 1, max: 16 * 1024 }
} as const;

export type SizeField = keyof typeof LIMITS;

const SIZE_WORDS: Record<SizeField, { label: string; unit: string }> = {
	cores: { label: 'Cores', unit: '' },
	memory: { label: 'Memory', unit: 'MiB' },
	disk: { label: 'Disk', unit: 'GiB' }
};

/** The message for a hostname, or null when it is a valid DNS label. */
export function hostnameProblem(hostname: string): string | null {
	if (!hostname) return 'Enter a hostname.';
	if (hostname.length > 63) return 'A hostname has at most 63 characters.';
	if (!HOSTNAME_RE.test(hostname)) return 'Use lowercase letters, digits and single hyphens (a DNS name), not starting or ending with a hyphen.';
	return null;
}

/** The message for a template volume id, or null when it has the right shape. */
export function templateProblem(template: string): string | null {
	if (!template) return 'Choose a template.';
	if (!isProxmoxId('template', template)) return 'That is not a container template volume id.';
	return null;
}

/** A form or JSON value as a number: numeric strings count (form fields), blank ones do not. */
export function toNumber(raw: unknown): unknown {
	return typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
}

/** The message for cores, memory or disk against Spyre's fixed bounds, or null. */
export function sizeProblem(field: SizeField, raw: unknown): string | null {
	const n = toNumber(raw);
	const { label, unit } = SIZE_WORDS[field];
	const { min, max } = LIMITS[field];
	if (typeof n !== 'number' || !Number.isInteger(n)) return `${label} must be a whole number${unit ? ` of ${unit}` : ''}.`;
	if (n < min || n > max) return `${label} must be between ${min} and ${max}${unit ? ` ${unit}` : ''}.`;
	return null;
}

/** What a node offers, as Proxmox reports it (bytes for memory and disk; 0 when unknown). */
export interface NodeCapacity {
	node: string;
	maxcpu: number;
	maxmem: number;
	maxdisk: number;
}

/** The message when a size does not fit on the chosen node, or null (also when the node is unknown). */
export function capacityProblem(field: SizeField, value: number, node: NodeCapacity | undefined): string | null {
	if (!node) return null;
	if (field === 'cores' && node.maxcpu > 0 && value > node.maxcpu) return `Node ${node.node} has ${node.maxcpu} cores.`;
	if (field === 'memory' && node.maxmem > 0 && value * 2 ** 20 > node.maxmem) return `Node ${node.node} has ${Math.floor(node.maxmem / 2 ** 20)} MiB of memory.`;
	if (field === 'disk' && node.maxdisk > 0 && value * 2 ** 30 > node.maxdisk) return `Node ${node.node} has ${Math.floor(node.maxdisk / 2 ** 30)} GiB of disk.`;
	return null;
}

export interface QuickFormInput {
	hostname: string;
	template: string;
	cores: unknown;
	memory: unknown;
	disk: unknown;
}

/** Every field problem the form can know about without asking the server: field -> message. */
export function quickFormProblems(input: QuickFormInput, node: NodeCapacity | undefined): Record<string, string> {
	const fields: Record<string, string> = {};
	const hostname = hostnameProblem(input.hostname.trim());
	if (hostname) fields.hostname = hostname;
	const template = templateProblem(input.template.trim());
	if (template) fields.template = template;
	for (const field of ['cores', 'memory', 'disk'] as const) {
		const problem = sizeProblem(field, input[field]) ?? capacityProblem(field, toNumber(input[field]) as number, node);
		if (problem) fields[field] = problem;
	}
	return fields;
}
