import { describe, expect, it } from 'vitest';
import { isProxmoxId, proxmoxIdProblem, TEMPLATE_RE, type ProxmoxIdKind } from './proxmox';

// Valid and invalid values per kind. The valid ones include what Proxmox's own rules accept at their edges
// (pve-common JSONSchema.pm): upper case in node names, storage ids and tags; a one-character node name.
const CASES: [ProxmoxIdKind, string[], unknown[]][] = [
	['node', ['pve', 'pve-02', 'Node1', 'a', 'x'.repeat(63)], ['', '-pve', 'pve-', 'pve.lan', 'pve_1', 'x'.repeat(64), 7]],
	['storage', ['local', 'local-lvm', 'ceph_pool.1', 'NFS2'], ['', 'l', '1local', 'local-', 'local lvm', 'a:b', null]],
	['bridge', ['vmbr0', 'br-lan', 'eth0.100', 'v'.repeat(15)], ['', '0vmbr', '-vmbr', 'vmbr0,tag=5', 'v'.repeat(16), 'vmbr0=x']],
	['tag', ['spyre', 'web_1', 'a.b', 'Spyre', '_x', '1+1'], ['', '+a', '.a', '-a', 'a b', 'a;b', 'a,b', 't'.repeat(65)]],
	[
		'template',
		['local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', 'nfs-1:vztmpl/alpine+x.tar.xz'],
		['debian-12', 'local:iso/x.iso', 'local:vztmpl/../x', 'local:vztmpl/x;id', '1local:vztmpl/x.tar.zst', 'local:vztmpl/', 'local:vztmpl/a/b']
	]
];

describe.each(CASES)('%s', (kind, valid, invalid) => {
	it.each(valid)('accepts %s', (v) => {
		expect(isProxmoxId(kind, v)).toBe(true);
		expect(proxmoxIdProblem(kind, v)).toBeNull();
	});
	it.each(invalid.map((v) => [JSON.stringify(v), v]))('refuses %s', (_, v) => {
		expect(isProxmoxId(kind, v)).toBe(false);
		expect(proxmoxIdProblem(kind, v)).toMatch(/^must be /);
	});
});

it('a template volume id names a storage by the storage rule', () => {
	expect(TEMPLATE_RE.test('l:vztmpl/x.tar.zst')).toBe(false);
	expect(TEMPLATE_RE.test('lo:vztmpl/x.tar.zst')).toBe(true);
});
