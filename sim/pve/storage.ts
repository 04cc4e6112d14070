// The simulated storages and their content: `local` (dir: vztmpl, iso, backup) with three CT templates,
// and `local-lvm` (lvmthin: rootdir, images) holding the CTs' root disks. Static data plus lookups.

export interface StorageDef {
	storage: string;
	type: string;
	content: string[];
	total: number;
	shared: 0 | 1;
}

const GiB = 1024 ** 3;

export const STORAGES: StorageDef[] = [
	{ storage: 'local', type: 'dir', content: ['vztmpl', 'iso', 'backup'], total: 94 * GiB, shared: 0 },
	{ storage: 'local-lvm', type: 'lvmthin', content: ['rootdir', 'images'], total: 832 * GiB, shared: 0 }
];

export interface Template {
	volid: string;
	format: string;
	size: number;
	ctime: number;
	/** Uncompressed size, for the `Total bytes read` line of the create log. */
	unpacked: number;
	ostype: string;
}

export const TEMPLATES: Template[] = [
	{ volid: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', format: 'tzst', size: 126_030_080, ctime: 1_727_859_474, unpacked: 521_902_080, ostype: 'debian' },
	{ volid: 'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst', format: 'tzst', size: 141_589_318, ctime: 1_728_567_410, unpacked: 578_119_680, ostype: 'ubuntu' },
	{ volid: 'local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz', format: 'txz', size: 3_156_724, ctime: 1_725_807_020, unpacked: 9_236_480, ostype: 'alpine' }
];

export const storageByName = (name: string): StorageDef | undefined => STORAGES.find((s) => s.storage === name);
export const templateByVolid = (volid: string): Template | undefined => TEMPLATES.find((t) => t.volid === volid);

/** `local:vztmpl/x.tar.zst` -> `/var/lib/vz/template/cache/x.tar.zst`, as the create log prints it. */
export function templatePath(volid: string): string {
	return `/var/lib/vz/template/cache/${volid.replace(/^[^:]+:vztmpl\//, '')}`;
}
