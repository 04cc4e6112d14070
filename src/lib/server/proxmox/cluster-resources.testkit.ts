// Test-only: the /cluster/resources entry rules stated in zod, as the other answers are (schemas.ts). The client
// used this schema until the hand-written check (cluster-resources.ts) replaced it for speed; the spec holds
// the hand check to it, and the before/after measurement times both.

import { z } from 'zod';
import type { ClusterResource } from '$lib/shared/types/proxmox';
import { flag, guestState, metric, optStr, tags, vmid } from './schemas';

export const referenceSchema = z
	.object({
		id: z.string(),
		type: z.string(),
		vmid,
		node: z.string().min(1),
		status: guestState,
		name: optStr,
		maxcpu: metric,
		cpu: metric,
		maxmem: metric,
		mem: metric,
		maxdisk: metric,
		disk: metric,
		uptime: metric,
		template: flag,
		tags,
		lock: optStr
	})
	.transform((r): ClusterResource | null => (r.type === 'lxc' || r.type === 'qemu' ? { ...r, type: r.type } : null));

/** The reference result for a whole answer: the guests, or the paths of the problems (null when it passes). */
export function referenceCheck(data: unknown): { guests: ClusterResource[]; paths: null } | { guests: null; paths: string[] } {
	const r = z.array(referenceSchema).safeParse(data);
	if (r.success) return { guests: r.data.filter((g): g is ClusterResource => g !== null), paths: null };
	return { guests: null, paths: r.error.issues.map((i) => i.path.join('.')) };
}

/** `n` entries shaped like real PVE's and the simulator's, with some numbers sent as strings and a few non-guests. */
export function clusterFixture(n = 1000): unknown[] {
	const MiB = 1024 * 1024;
	return Array.from({ length: n }, (_, i) => {
		const vmid = 100 + i;
		const running = i % 3 !== 0;
		const row: Record<string, unknown> = {
			id: `lxc/${vmid}`,
			type: i % 50 === 0 ? 'qemu' : i % 333 === 1 ? 'storage' : 'lxc',
			vmid: i % 10 === 0 ? String(vmid) : vmid,
			node: i % 2 ? 'pve' : 'pve2',
			status: running ? 'running' : i % 9 === 0 ? 'unknown' : 'stopped',
			name: `ct-${vmid}`,
			maxcpu: 2,
			cpu: running ? 0.0031 : 0,
			maxmem: 2048 * MiB,
			mem: running ? (i % 7 === 0 ? String(300 * MiB) : 300 * MiB) : 0,
			maxdisk: 8 * 1024 * MiB,
			disk: running ? 812 * MiB : 0,
			uptime: running ? 1234 : 0,
			netin: 100,
			netout: 200,
			template: i % 11 === 0 ? '1' : 0
		};
		if (i % 4 === 0) row.tags = 'spyre;dev';
		if (i % 97 === 0) row.lock = 'backup';
		if (i % 13 === 0) row.name = null;
		return row;
	});
}
