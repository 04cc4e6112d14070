// Parameter decoding and schema validation, the way pve-common's JSONSchema does it. Owns the exact
// texts of 400 `Parameter verification failed.` errors and the property-string formats (rootfs, net[n],
// features). Pure: no I/O, no knowledge of containers.

export interface BaseProp {
	optional?: boolean;
	description?: string;
}
export interface IntegerProp extends BaseProp {
	type: 'integer';
	minimum?: number;
	maximum?: number;
}
export interface NumberProp extends BaseProp {
	type: 'number';
	minimum?: number;
	maximum?: number;
}
export interface BooleanProp extends BaseProp {
	type: 'boolean';
}
export interface StringProp extends BaseProp {
	type: 'string';
	minLength?: number;
	maxLength?: number;
	enum?: readonly string[];
	/** Returns an error text (without the `invalid format - ` prefix) or null when the value is fine. */
	format?: (value: string) => string | null;
}
export type Prop = IntegerProp | NumberProp | BooleanProp | StringProp;
export interface Schema {
	properties: Record<string, Prop>;
	/** Properties named like `net0`..`net9`: a pattern and the schema every match follows. */
	patterns?: { re: RegExp; prop: Prop }[];
}

export type Value = string | number;
export type Values = Record<string, Value>;
export type Errors = Record<string, string>;
export type Raw = Record<string, unknown>;

export const MSG = {
	missing: 'property is missing and it is not optional',
	unknown: 'property is not defined in schema and the schema does not allow additional properties'
} as const;

/** Decode a form body or query string the way pve-http-server does: split on `&` and `;`. */
export function decodeForm(text: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const part of text.split(/[&;]/)) {
		if (part === '') continue;
		const eq = part.indexOf('=');
		const rawKey = eq < 0 ? part : part.slice(0, eq);
		const rawVal = eq < 0 ? '' : part.slice(eq + 1);
		out[decodeComponent(rawKey)] = decodeComponent(rawVal);
	}
	return out;
}

function decodeComponent(s: string): string {
	const plus = s.replace(/\+/g, ' ');
	try {
		return decodeURIComponent(plus);
	} catch {
		return plus;
	}
}

/** JSON body values become the strings a form would have carried; JSON booleans become 1/0. */
function toText(v: unknown): string | undefined {
	if (v === null || v === undefined) return undefined;
	if (typeof v === 'boolean') return v ? '1' : '0';
	if (typeof v === 'number') return String(v);
	if (typeof v === 'string') return v;
	return Array.isArray(v) ? 'ARRAY' : 'HASH';
}

function findProp(schema: Schema, key: string): Prop | undefined {
	if (Object.hasOwn(schema.properties, key)) return schema.properties[key];
	return schema.patterns?.find((p) => p.re.test(key))?.prop;
}

/** Check one value against one property; returns the parsed value or an error text. */
export function checkValue(prop: Prop, text: string): { value: Value } | { error: string } {
	switch (prop.type) {
		case 'integer': {
			if (!/^-?\d+$/.test(text)) return { error: `type check ('integer') failed - got '${text}'` };
			return checkRange(prop, Number(text));
		}
		case 'number': {
			if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return { error: `type check ('number') failed - got '${text}'` };
			return checkRange(prop, Number(text));
		}
		case 'boolean': {
			if (text === '1') return { value: 1 };
			if (text === '0') return { value: 0 };
			return { error: `type check ('boolean') failed - got '${text}'` };
		}
		case 'string': {
			if (prop.maxLength !== undefined && text.length > prop.maxLength) return { error: `value may only be ${prop.maxLength} characters long` };
			if (prop.minLength !== undefined && text.length < prop.minLength) return { error: `value must be at least ${prop.minLength} characters long` };
			if (prop.enum && !prop.enum.includes(text)) return { error: `value '${text}' does not have a value in the enumeration '${prop.enum.join(', ')}'` };
			if (prop.format) {
				const err = prop.format(text);
				if (err !== null) return { error: `invalid format - ${err}` };
			}
			return { value: text };
		}
	}
}

function checkRange(prop: IntegerProp | NumberProp, n: number): { value: Value } | { error: string } {
	if (prop.minimum !== undefined && n < prop.minimum) return { error: `value must have a minimum value of ${prop.minimum}` };
	if (prop.maximum !== undefined && n > prop.maximum) return { error: `value must have a maximum value of ${prop.maximum}` };
	return { value: n };
}

/** Validate a whole parameter object. Unknown properties are errors (PVE schemas forbid them). */
export function validate(schema: Schema, raw: Raw): { ok: true; values: Values } | { ok: false; errors: Errors } {
	const errors: Errors = {};
	const values: Values = {};
	for (const [key, rawValue] of Object.entries(raw)) {
		const text = toText(rawValue);
		if (text === undefined) continue;
		const prop = findProp(schema, key);
		if (!prop) {
			errors[key] = MSG.unknown;
			continue;
		}
		const r = checkValue(prop, text);
		if ('error' in r) errors[key] = r.error;
		else values[key] = r.value;
	}
	for (const [key, prop] of Object.entries(schema.properties)) {
		if (!prop.optional && !(key in values) && !(key in errors)) errors[key] = MSG.missing;
	}
	return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, values };
}

// ---- property strings (`key=value,key=value`) ----

export interface PropertyFormat {
	defaultKey?: string;
	keys: Record<string, Prop>;
}

/** Parse a property string; returns the map or the error text that follows `invalid format - `. */
export function parsePropertyString(format: PropertyFormat, text: string): { ok: true; values: Record<string, string> } | { ok: false; error: string } {
	const out: Record<string, string> = {};
	const errors: string[] = [];
	for (const part of text.split(',')) {
		if (part === '') continue;
		const eq = part.indexOf('=');
		let key: string;
		let value: string;
		if (eq < 0) {
			if (!format.defaultKey) return { ok: false, error: `value without key, but schema does not define a default key` };
			key = format.defaultKey;
			value = part;
		} else {
			key = part.slice(0, eq);
			value = part.slice(eq + 1);
		}
		const prop = format.keys[key];
		if (!prop) return { ok: false, error: `invalid key in comma-separated list property: ${key}` };
		if (key in out) return { ok: false, error: `duplicate key in comma-separated list property: ${key}` };
		const r = checkValue(prop, value);
		if ('error' in r) errors.push(`${key}: ${r.error}`);
		out[key] = value;
	}
	for (const [key, prop] of Object.entries(format.keys)) {
		if (!prop.optional && !(key in out)) errors.push(`${key}: ${MSG.missing}`);
	}
	if (errors.length > 0) return { ok: false, error: `format error\n${errors.join('\n')}` };
	return { ok: true, values: out };
}

/** Render a property string the way PVE prints it: the default/first key first, the rest sorted. */
export function printPropertyString(values: Record<string, string | number>, first?: string): string {
	const keys = Object.keys(values)
		.filter((k) => k !== first)
		.sort();
	if (first && first in values) keys.unshift(first);
	return keys.map((k) => `${k}=${values[k]}`).join(',');
}

// ---- formats used by the endpoints ----

const bool: BooleanProp = { type: 'boolean', optional: true };
const DNS_RE = /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(s: string): boolean {
	return IPV4_RE.test(s);
}

export const formats = {
	dnsName: (v: string): string | null => (DNS_RE.test(v) ? null : 'value does not look like a valid DNS name'),
	node: (v: string): string | null => (/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(v) ? null : `value does not look like a valid node name`),
	ipv4: (v: string): string | null => (isIpv4(v) ? null : `value does not look like a valid IPv4 address`),
	ipv4Config: (v: string): string | null => {
		if (v === 'dhcp' || v === 'manual') return null;
		const [addr, prefix, extra] = v.split('/');
		if (extra === undefined && isIpv4(addr) && prefix !== undefined && /^\d+$/.test(prefix) && Number(prefix) <= 32) return null;
		return `value does not look like a valid ipv4 network configuration`;
	},
	ipv6Config: (v: string): string | null =>
		v === 'dhcp' || v === 'auto' || v === 'manual' || /^[0-9a-fA-F:]+\/\d{1,3}$/.test(v) ? null : `value does not look like a valid ipv6 network configuration`,
	mac: (v: string): string | null => (/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(v) ? null : `value does not look like a valid MAC address`),
	diskSize: (v: string): string | null => (/^\d+(\.\d+)?[KMGT]?$/.test(v) ? null : `unable to parse size '${v}'`),
	volume: (v: string): string | null => {
		if (/^[a-zA-Z][a-zA-Z0-9_.-]*:\S+$/.test(v) || v.startsWith('/')) return null;
		return `unable to parse volume ID '${v}'`;
	},
	tagList: (v: string): string | null => (v.split(/[;, ]+/).every((t) => t === '' || /^[a-zA-Z0-9_][a-zA-Z0-9_\-+.]*$/.test(t)) ? null : `invalid characters in tag list`)
};

export const netFormat: PropertyFormat = {
	keys: {
		name: { type: 'string', format: (v) => (/^[a-zA-Z][a-zA-Z0-9_.-]{0,15}$/.test(v) ? null : 'invalid interface name') },
		bridge: { type: 'string', optional: true, format: (v) => (/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(v) ? null : 'invalid bridge name') },
		firewall: bool,
		gw: { type: 'string', optional: true, format: formats.ipv4 },
		gw6: { type: 'string', optional: true },
		hwaddr: { type: 'string', optional: true, format: formats.mac },
		ip: { type: 'string', optional: true, format: formats.ipv4Config },
		ip6: { type: 'string', optional: true, format: formats.ipv6Config },
		link_down: bool,
		mtu: { type: 'integer', optional: true, minimum: 64, maximum: 65535 },
		rate: { type: 'number', optional: true, minimum: 0 },
		tag: { type: 'integer', optional: true, minimum: 1, maximum: 4094 },
		trunks: { type: 'string', optional: true },
		type: { type: 'string', optional: true, enum: ['veth'] }
	}
};

export const rootfsFormat: PropertyFormat = {
	defaultKey: 'volume',
	keys: {
		volume: { type: 'string', format: formats.volume },
		size: { type: 'string', optional: true, format: formats.diskSize },
		acl: bool,
		quota: bool,
		replicate: bool,
		ro: bool,
		shared: bool,
		mountoptions: { type: 'string', optional: true }
	}
};

export const featuresFormat: PropertyFormat = {
	keys: {
		force_rw_sys: bool,
		fuse: bool,
		keyctl: bool,
		mknod: bool,
		mount: { type: 'string', optional: true },
		nesting: bool
	}
};

/** A string property whose value must be a property string of `format`. */
export function propertyString(format: PropertyFormat, optional = true): StringProp {
	return {
		type: 'string',
		optional,
		format: (v) => {
			const r = parsePropertyString(format, v);
			return r.ok ? null : r.error;
		}
	};
}
