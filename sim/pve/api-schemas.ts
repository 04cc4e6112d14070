// Parameter schemas of the API: the property types every route shares (node, vmid, optional boolean,
// string, integer) and the long schema of CT create. Routing is in api.ts and the *-routes.ts modules.
import { featuresFormat, formats, netFormat, propertyString, rootfsFormat, type Prop, type Schema } from './params';
import { snapnameError } from './snapshots';

export const P = (properties: Record<string, Prop>): Schema => ({ properties });
export const node: Prop = { type: 'string', format: formats.node };
export const vmid: Prop = { type: 'integer', minimum: 100, maximum: 999_999_999 };
export const optVmid: Prop = { ...vmid, optional: true };
export const bool: Prop = { type: 'boolean', optional: true };
export const str: Prop = { type: 'string', optional: true };
export const int = (minimum?: number, maximum?: number): Prop => ({ type: 'integer', optional: true, minimum, maximum });
/** pve-storage-id. */
export const storageId: Prop = { type: 'string', optional: true, format: (v) => (/^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$/.test(v) ? null : 'invalid storage ID') };

export const createSchema: Schema = {
	properties: {
		node,
		vmid,
		ostemplate: { type: 'string', maxLength: 255 },
		hostname: { type: 'string', optional: true, maxLength: 255, format: formats.dnsName },
		cores: int(1, 8192),
		memory: int(16),
		swap: int(0),
		rootfs: propertyString(rootfsFormat),
		storage: storageId,
		features: propertyString(featuresFormat),
		unprivileged: bool,
		password: { type: 'string', optional: true, minLength: 5 },
		'ssh-public-keys': str,
		start: bool,
		onboot: bool,
		nameserver: str,
		searchdomain: str,
		tags: { type: 'string', optional: true, format: formats.tagList },
		description: { type: 'string', optional: true, maxLength: 8192 },
		pool: str,
		arch: { type: 'string', optional: true, enum: ['amd64', 'i386', 'arm64', 'armhf', 'riscv32', 'riscv64'] },
		ostype: { type: 'string', optional: true, enum: ['debian', 'devuan', 'ubuntu', 'centos', 'fedora', 'opensuse', 'archlinux', 'alpine', 'gentoo', 'nixos', 'unmanaged'] },
		cpulimit: { type: 'number', optional: true, minimum: 0, maximum: 8192 },
		cpuunits: int(0, 500000),
		console: bool,
		tty: int(0, 6),
		cmode: { type: 'string', optional: true, enum: ['shell', 'console', 'tty'] },
		protection: bool,
		template: bool,
		force: bool,
		unique: bool,
		restore: bool,
		'ignore-unpack-errors': bool,
		startup: str,
		timezone: str,
		bwlimit: { type: 'number', optional: true, minimum: 0 },
		debug: bool
	},
	patterns: [{ re: /^net\d$/, prop: propertyString(netFormat) }]
};

/** `POST /nodes/{node}/lxc/{vmid}/clone` (pve-container API2/LXC.pm clone_vm). */
export const cloneSchema: Schema = P({
	node,
	vmid,
	newid: vmid,
	hostname: { type: 'string', optional: true, format: formats.dnsName },
	description: str,
	pool: str,
	snapname: { type: 'string', optional: true, format: snapnameError },
	storage: storageId,
	full: bool,
	target: { type: 'string', optional: true, format: formats.node },
	bwlimit: { type: 'number', optional: true, minimum: 0 }
});
