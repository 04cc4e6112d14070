// The ids Spyre hands to Proxmox VE: node names, storage ids, bridges, tags and template volume ids. One rule
// per kind, shared by the create form, the config schema, environment.yaml's schema, the platform checks and
// the routes, so no reader accepts what another refuses. Pure: no browser or server imports.
//
// Each rule is what Proxmox itself accepts (pve-common, src/PVE/JSONSchema.pm: `pve_verify_node_name`,
// `parse_id` behind `pve-storage-id`, `parse_bridge_id`, `$PVE_TAG_RE` behind `pve-tag`), narrowed where a
// value travels further than the API: a bridge is a Linux interface name (IFNAMSIZ is 16 with the NUL, so at
// most 15 characters) and starts with a letter, so it can never read as a command-line option.

/** A node name (`pve_verify_node_name`): letters, digits and inner `-`; a hostname, so at most 63. */
export const NODE_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A storage id (`parse_id`): a letter, then letters, digits `-_.`, ending in a letter or digit; at least 2. */
const STORAGE_ID = '[A-Za-z][A-Za-z0-9._-]{0,62}[A-Za-z0-9]';
export const STORAGE_ID_RE = new RegExp(`^${STORAGE_ID}$`);

/** A bridge (`parse_bridge_id` is `[-_.\w]+`): a letter first, then letters, digits `_ . -`; at most 15. */
export const BRIDGE_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

/** A tag (`$PVE_TAG_RE`, case-insensitive): a letter, digit or `_`, then those and `- + .`; at most 64 here. */
export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_+.-]{0,63}$/;

/** A container template volume id, `<storage>:vztmpl/<file>`. */
export const TEMPLATE_RE = new RegExp(`^${STORAGE_ID}:vztmpl/[A-Za-z0-9._+-]{1,255}$`);

/** The messages, worded once: what is wrong, then what is allowed. Each reads after the field's name. */
export const PROXMOX_ID_RULES = {
	node: 'must be a Proxmox node name: letters, digits and -, not starting or ending with -, at most 63',
	storage: 'must be a Proxmox storage id: a letter, then letters, digits and . _ -, ending in a letter or digit',
	bridge: 'must be a bridge name: a letter, then letters, digits and _ . -, at most 15',
	tag: 'must be a Proxmox tag: letters, digits and _ + . -, not starting with + . or -, at most 64',
	template: 'must be a container template volume id, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'
} as const;

export type ProxmoxIdKind = keyof typeof PROXMOX_ID_RULES;

const PATTERNS: Record<ProxmoxIdKind, RegExp> = {
	node: NODE_NAME_RE,
	storage: STORAGE_ID_RE,
	bridge: BRIDGE_RE,
	tag: TAG_RE,
	template: TEMPLATE_RE
};

/** True when `value` is a string Proxmox accepts as this kind of id. */
export function isProxmoxId(kind: ProxmoxIdKind, value: unknown): value is string {
	return typeof value === 'string' && PATTERNS[kind].test(value);
}

/** The pattern behind `isProxmoxId`, for zod schemas that emit a JSON Schema `pattern`. */
export function proxmoxIdPattern(kind: ProxmoxIdKind): RegExp {
	return PATTERNS[kind];
}

/** The rule's message (it reads after the field's name), or null when the value is valid. */
export function proxmoxIdProblem(kind: ProxmoxIdKind, value: unknown): string | null {
	return isProxmoxId(kind, value) ? null : PROXMOX_ID_RULES[kind];
}
