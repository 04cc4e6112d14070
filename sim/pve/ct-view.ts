// What the API shows of a CT: its row in /nodes/{node}/lxc (also the base of status/current and
// /cluster/resources), its config with digest, and /interfaces; plus the MAC and disk-size helpers.
import { createHash, randomBytes } from 'node:crypto';
import * as ct from './containers';
import { interfacesFault } from './control';
import type { Lxc } from './lxc';
import type { CtConfig, CtRecord } from './state';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** How long a brand-new CT shows `status:"unknown"` in /cluster/resources (quirk of real PVE). */
export const UNKNOWN_STATUS_MS = 1000;

export class CtView {
	constructor(private readonly lxc: Lxc) {}

	private memory(rec: CtRecord): number {
		const x = this.lxc.r(rec.vmid);
		if (!x.initPid) return 0;
		if (!x.memCache || Date.now() - x.memCache.at > 1000) x.memCache = { at: Date.now(), bytes: ct.ctMemory(x.initPid) };
		return x.memCache.bytes;
	}

	/** One row of /nodes/{node}/lxc (also the base of status/current and /cluster/resources). */
	row(rec: CtRecord): Record<string, unknown> {
		const running = this.lxc.isRunning(rec);
		const uptime = running && rec.startedAt ? Math.floor((Date.now() - rec.startedAt) / 1000) : 0;
		const row: Record<string, unknown> = {
			vmid: rec.vmid,
			type: 'lxc',
			status: running ? 'running' : 'stopped',
			name: String(rec.conf.hostname),
			cpus: Number(rec.conf.cores ?? 1),
			maxmem: Number(rec.conf.memory ?? 512) * MiB,
			mem: running ? this.memory(rec) : 0,
			maxswap: Number(rec.conf.swap ?? 512) * MiB,
			swap: 0,
			maxdisk: diskBytes(rec.conf),
			disk: running ? Math.min(diskBytes(rec.conf), 812 * MiB + rec.vmid * 4096) : 0,
			uptime,
			cpu: running ? Math.round((0.0011 + (rec.vmid % 7) / 1000) * 10_000) / 10_000 : 0,
			netin: running ? uptime * 211 : 0,
			netout: running ? uptime * 97 : 0,
			diskread: running ? 31_457_280 : 0,
			diskwrite: running ? 4_096 * (uptime + 1) : 0
		};
		if (rec.conf.tags) row.tags = rec.conf.tags;
		if (rec.lock) row.lock = rec.lock;
		if (rec.conf.template) row.template = 1;
		if (running) row.pid = this.lxc.initPid(rec.vmid);
		return row;
	}

	listOnNode(node: string): Record<string, unknown>[] {
		return Object.values(this.lxc.store.state.cts)
			.filter((c) => c.node === node)
			.map((c) => this.row(c));
	}

	config(node: string, vmid: number): Record<string, unknown> {
		const rec = this.lxc.mustGet(node, vmid);
		const out: Record<string, unknown> = { ...rec.conf };
		if (rec.lock) out.lock = rec.lock;
		const text = Object.keys(out)
			.sort()
			.map((k) => `${k}: ${out[k]}`)
			.join('\n');
		out.digest = createHash('sha1').update(text).digest('hex');
		return out;
	}

	/** `/interfaces`: generated here only (faults that change what it reports belong here too). */
	interfaces(node: string, vmid: number): unknown {
		const rec = this.lxc.mustGet(node, vmid);
		if (!this.lxc.isRunning(rec)) return null;
		const fault = interfacesFault(this.lxc.faults, vmid);
		if (fault?.mode === 'null') return null;
		// rec.inet is what the CT's eth0 really carries (network.ts sets it and CT root cannot change it).
		const [real, prefix] = rec.inet.split('/');
		// The spoof fault: a CT's root reporting another address (its real one stays as it is).
		const addr = this.lxc.faults.reportAddress[String(vmid)] ?? real;
		const lo = {
			name: 'lo',
			hwaddr: '00:00:00:00:00:00',
			inet: '127.0.0.1/8',
			inet6: '::1/128',
			'ip-addresses': [
				{ 'ip-address': '127.0.0.1', 'ip-address-type': 'inet', prefix: 8 },
				{ 'ip-address': '::1', 'ip-address-type': 'inet6', prefix: 128 }
			]
		};
		if (fault?.mode === 'noeth0') return [lo];
		const ll = linkLocal(rec.hwaddr);
		const eth0: Record<string, unknown> = {
			name: 'eth0',
			hwaddr: rec.hwaddr.toLowerCase(),
			inet6: `${ll}/64`,
			'ip-addresses': [{ 'ip-address': ll, 'ip-address-type': 'inet6', prefix: 64 }]
		};
		if (fault?.mode !== 'noinet') {
			eth0.inet = `${addr}/${prefix}`;
			(eth0['ip-addresses'] as unknown[]).unshift({ 'ip-address': addr, 'ip-address-type': 'inet', prefix: Number(prefix) });
		}
		return [lo, eth0];
	}
}

export function diskBytes(conf: CtConfig): number {
	const m = /size=(\d+(?:\.\d+)?)([KMGT])?/.exec(String(conf.rootfs ?? ''));
	if (!m) return 4 * GiB;
	const unit = { K: 1024, M: MiB, G: GiB, T: 1024 * GiB }[m[2] ?? 'G'] ?? GiB;
	return Math.round(Number(m[1]) * unit);
}

/** Proxmox's OUI (BC:24:11) plus three random bytes. */
export function randomMac(): string {
	return ['BC', '24', '11', ...[...randomBytes(3)].map((b) => b.toString(16).toUpperCase().padStart(2, '0'))].join(':');
}

/** EUI-64 link-local address derived from the MAC, as the kernel assigns it. */
function linkLocal(mac: string): string {
	const b = mac.split(':').map((h) => parseInt(h, 16));
	b[0] ^= 0x02;
	const words = [(b[0] << 8) | b[1], (b[2] << 8) | 0xff, (0xfe << 8) | b[3], (b[4] << 8) | b[5]];
	return `fe80::${words.map((w) => w.toString(16)).join(':')}`;
}
