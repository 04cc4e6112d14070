// The simulated node's network (the `vmbr0` of a Proxmox node): one Linux bridge per simulator instance
// with a gateway address in a /24 taken from a private range, one network namespace per CT with a veth on
// that bridge, its address, its routes and its nftables filter. Owns the bridge, the host ends of the
// veths, the machine-wide claim of the /24 (/run/pve-sim/nets) and DIR/network.json.
// It must never: turn on forwarding or NAT, add a route that leads out of the machine, touch an interface
// or a /24 it did not create or claim (stale ones are removed only when their owner is provably dead), or
// let a CT's own root change its address, routes or filter (every namespace here belongs to the host's
// user namespace, where CT root has no capability).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIpv4 } from './params';
import { intToIp, ipToInt } from './state';

export const DEFAULT_RANGE = '10.213.0.0/16';
/** Machine-wide claims of /24s: one directory per claimed /24, holding owner.json. */
export const REGISTRY = '/run/pve-sim/nets';
const BRIDGE_RE = /^pvsim[0-9a-f]{6}$/;

export interface NetworkInfo {
	/** Host-side name of the bridge (the node's vmbr0). */
	bridge: string;
	/** The /24 of this simulator, e.g. 10.213.17.0/24. */
	cidr: string;
	/** The bridge's own address: the only host address a CT can reach. */
	gateway: string;
	/** TCP ports of the gateway a CT may connect to. */
	gatewayPorts: number[];
	/** The whole private range the /24 came from (routed `unreachable` on the host). */
	range: string;
}

/**
 * What the CT's boot applies inside its own network namespace, as host root before the pivot: the filter
 * first (`nft -f rules`), then its addresses and routes (`ip -batch batch`), so the CT never has an
 * address without its filter.
 */
export interface CtNetFiles {
	rules: string;
	batch: string;
}

/** What a CT's network interface is: its address and prefix, MAC, and the default route (if any). */
export interface CtNet {
	address: string;
	prefix: number;
	hwaddr: string;
	gw?: string;
}

interface Owner {
	pid: number;
	/** Start time of `pid` (field 22 of /proc/PID/stat), so a reused PID is not taken for the owner. */
	start: string;
	stateDir: string;
}

// ---- pure helpers (unit-tested in network.spec.ts) ----

/** Parse `A.B.C.D/N` into its network (as an int) and prefix; null when malformed or not the network address. */
export function parseCidr(text: string): { base: number; prefix: number } | null {
	const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text);
	if (!m || !isIpv4(m[1])) return null;
	const prefix = Number(m[2]);
	if (prefix > 32) return null;
	const base = ipToInt(m[1]);
	const size = 2 ** (32 - prefix);
	if (base % size !== 0) return null;
	return { base, prefix };
}

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((c) => parseCidr(c) as { base: number; prefix: number });

export function inCidr(ip: string, cidr: string): boolean {
	const c = parseCidr(cidr);
	if (!c || !isIpv4(ip)) return false;
	const size = 2 ** (32 - c.prefix);
	const n = ipToInt(ip);
	return n >= c.base && n < c.base + size;
}

/** The range flag: a private IPv4 network of /8../24, else a message naming the flag. */
export function checkRange(text: string): string | null {
	const c = parseCidr(text);
	if (!c) return `--net-range must be an IPv4 network like ${DEFAULT_RANGE}, got '${text}'`;
	if (c.prefix < 8 || c.prefix > 24) return `--net-range must be between /8 and /24, got '${text}'`;
	const inside = PRIVATE.some((p) => c.prefix >= p.prefix && c.base >= p.base && c.base < p.base + 2 ** (32 - p.prefix));
	if (!inside) return `--net-range must lie inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, got '${text}'`;
	return null;
}

/** Every /24 of the range, as `A.B.C.0/24`. */
export function subnetsOf(range: string): string[] {
	const c = parseCidr(range);
	if (!c) return [];
	const out: string[] = [];
	for (let n = c.base; n < c.base + 2 ** (32 - c.prefix); n += 256) out.push(`${intToIp(n)}/24`);
	return out;
}

/** `pvsim` + the /24's first three octets in hex: unique per /24, so per running simulator; 11 chars. */
export function bridgeName(cidr: string): string {
	const base = ipToInt(cidr.split('/')[0]);
	return `pvsim${Math.floor(base / 256)
		.toString(16)
		.padStart(6, '0')}`;
}

/** Host end of a CT's veth: `ve` + the /24 in hex + `-` + vmid in base 36 (<= 15 chars, the kernel's limit). */
export function vethName(cidr: string, vmid: number): string {
	return `ve${bridgeName(cidr).slice(5)}-${vmid.toString(36)}`;
}

export function gatewayOf(cidr: string): string {
	return intToIp(ipToInt(cidr.split('/')[0]) + 1);
}

/** A list of TCP ports: each an integer 1..65535, sorted and without duplicates. */
export function parsePorts(v: unknown, what: string): number[] {
	const list = typeof v === 'string' ? (v.trim() === '' ? [] : v.split(',').map((s) => s.trim())) : v;
	if (!Array.isArray(list)) throw new Error(`${what} must be a list of TCP ports`);
	const out = list.map((p) => {
		const n = typeof p === 'number' ? p : typeof p === 'string' && /^\d+$/.test(p) ? Number(p) : NaN;
		if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${what}: '${String(p)}' is not a TCP port (1-65535)`);
		return n;
	});
	return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * The CT's nftables ruleset (inside its own network namespace). Out: its own loopback, replies, other
 * CTs on the bridge, and the gateway only on `gatewayPorts` (the set `gwports`, changed at run time);
 * everything else is refused at once (TCP reset, ICMP admin-prohibited) rather than dropped, so a client
 * sees "refused" instead of a timeout. In: only from the bridge's /24 to the CT's address. No IPv6 off lo.
 */
export function ctRuleset(o: { address: string; cidr: string; gateway: string; ports: number[] }): string {
	for (const ip of [o.address, o.gateway]) if (!isIpv4(ip)) throw new Error(`bad address ${ip}`);
	if (!parseCidr(o.cidr)) throw new Error(`bad network ${o.cidr}`);
	const ports = parsePorts(o.ports, 'gateway ports');
	return [
		'table inet pvesim {',
		`\tset gwports { type inet_service;${ports.length ? ` elements = { ${ports.join(', ')} };` : ''} }`,
		'\tchain output {',
		'\t\ttype filter hook output priority 0; policy drop;',
		'\t\toifname "lo" accept',
		'\t\tmeta nfproto ipv6 reject with icmpx admin-prohibited',
		`\t\tip saddr != ${o.address} reject with icmpx admin-prohibited`,
		'\t\tct state established,related accept',
		`\t\tip daddr ${o.gateway} tcp dport @gwports accept`,
		`\t\tip daddr != ${o.gateway} ip daddr ${o.cidr} accept`,
		'\t\tmeta l4proto tcp reject with tcp reset',
		'\t\treject with icmpx admin-prohibited',
		'\t}',
		'\tchain input {',
		'\t\ttype filter hook input priority 0; policy drop;',
		'\t\tiifname "lo" accept',
		'\t\tct state established,related accept',
		`\t\tip saddr ${o.cidr} ip daddr ${o.address} accept`,
		'\t}',
		'}',
		''
	].join('\n');
}

/** The `nft -f` text that replaces the gateway ports of a running CT in one transaction. */
export function portsUpdate(ports: number[]): string {
	const p = parsePorts(ports, 'gateway ports');
	return ['flush set inet pvesim gwports', ...(p.length ? [`add element inet pvesim gwports { ${p.join(', ')} }`] : []), ''].join('\n');
}

/**
 * The address plan of a new CT from its net0 values (Proxmox's `ip=dhcp`, `ip=A.B.C.D/N`, `gw=`): a
 * static address must lie in the bridge's /24 (the simulator's node has nothing else; an address
 * elsewhere would be unreachable, or answered through the host's default route), and so must `gw`.
 * Returns the address and prefix, or an error for net0.
 */
export function planAddress(net0: Record<string, string> | undefined, cidr: string, isFree: (ip: string) => boolean): { address: string; prefix: number; dhcp: boolean } | { error: string } {
	const ip = net0?.ip;
	const gw = net0?.gw;
	if (gw !== undefined && (!inCidr(gw, cidr) || gw.endsWith('.0') || gw.endsWith('.255'))) return { error: `pve-sim: gw ${gw} is not on the simulated bridge (${cidr})` };
	if (ip !== undefined && ip !== 'dhcp' && ip !== 'manual') {
		const [addr, prefixText] = ip.split('/');
		const prefix = Number(prefixText);
		const last = Number(addr.split('.')[3]);
		if (!inCidr(addr, cidr) || last === 0 || last === 1 || last === 255 || prefix < 24 || prefix > 30)
			return { error: `pve-sim: ip ${ip} must be an address of the simulated bridge ${cidr} (.2-.254, prefix /24-/30; .1 is the gateway)` };
		return { address: addr, prefix, dhcp: false };
	}
	const base = ipToInt(cidr.split('/')[0]);
	for (let h = 2; h < 255; h++) {
		const cand = intToIp(base + h);
		if (isFree(cand)) return { address: cand, prefix: 24, dhcp: true };
	}
	return { error: `pve-sim: no free address left on ${cidr}` };
}

// ---- processes ----

function exec(cmd: string, args: string[], input?: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
		let out = '';
		let err = '';
		child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
		child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
		child.on('error', reject);
		child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: ${err.trim() || `exit ${code}`}`))));
		// A command that fails early closes its stdin: that is its exit status's business, not a crash.
		child.stdin?.on('error', () => undefined);
		child.stdin?.end(input);
	});
}

function procStart(pid: number): string {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
	} catch {
		return '';
	}
}

function ownerAlive(o: Owner | null): boolean {
	return !!o && o.pid > 0 && procStart(o.pid) !== '' && procStart(o.pid) === o.start;
}

function readOwner(dir: string): Owner | null {
	try {
		return JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as Owner;
	} catch {
		return null;
	}
}

/** IPv4 networks the machine uses (addresses and routes), except this module's own bridges and range routes. */
async function networksInUse(range: string): Promise<string[]> {
	const out: string[] = [];
	const addrs = JSON.parse(await exec('ip', ['-4', '-j', 'addr', 'show'])) as { ifname: string; addr_info?: { local: string; prefixlen: number }[] }[];
	for (const l of addrs) {
		if (BRIDGE_RE.test(l.ifname)) continue;
		for (const a of l.addr_info ?? []) out.push(`${intToIp(ipToInt(a.local) - (ipToInt(a.local) % 2 ** (32 - a.prefixlen)))}/${a.prefixlen}`);
	}
	const routes = JSON.parse(await exec('ip', ['-4', '-j', 'route', 'show'])) as { dst: string; dev?: string; type?: string }[];
	for (const r of routes) {
		if (r.dst === 'default' || (r.dev && BRIDGE_RE.test(r.dev)) || (r.type === 'unreachable' && r.dst === range)) continue;
		out.push(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
	}
	return out;
}

function overlaps(a: string, b: string): boolean {
	const x = parseCidr(a);
	const y = parseCidr(b);
	if (!x || !y) return false;
	const xe = x.base + 2 ** (32 - x.prefix);
	const ye = y.base + 2 ** (32 - y.prefix);
	return x.base < ye && y.base < xe;
}

async function bridgeExists(name: string): Promise<boolean> {
	return (
		existsSync(`/sys/class/net/${name}`) ||
		(await exec('ip', ['link', 'show', 'dev', name]).then(
			() => true,
			() => false
		))
	);
}

async function deleteLink(name: string): Promise<void> {
	await exec('ip', ['link', 'del', 'dev', name]).catch(() => undefined);
}

/** Bridges of simulators that are gone (killed without cleanup): removed, with their claims. */
async function removeStale(log: (m: string) => void): Promise<void> {
	const links = JSON.parse(await exec('ip', ['-j', 'link', 'show', 'type', 'bridge'])) as { ifname: string }[];
	for (const { ifname } of links) {
		if (!BRIDGE_RE.test(ifname)) continue;
		const cidr = `${intToIp(parseInt(ifname.slice(5), 16) * 256)}/24`;
		if (ownerAlive(readOwner(join(REGISTRY, cidr.split('/')[0])))) continue;
		log(`pve-sim: removing bridge ${ifname} of a simulator that is gone`);
		await deleteLink(ifname);
	}
}

/**
 * Claim a /24 for this simulator: an atomic mkdir of its registry entry; an entry whose owner is dead
 * is taken over (atomically renamed away first, so two simulators cannot both take it).
 */
function claim(cidr: string, stateDir: string): boolean {
	const dir = join(REGISTRY, cidr.split('/')[0]);
	const me: Owner = { pid: process.pid, start: procStart(process.pid), stateDir };
	const take = (): boolean => {
		try {
			mkdirSync(dir, { mode: 0o700 });
		} catch {
			return false;
		}
		writeFileSync(join(dir, 'owner.json'), JSON.stringify(me), { mode: 0o600 });
		return true;
	};
	if (take()) return true;
	const owner = readOwner(dir);
	if (ownerAlive(owner)) return false;
	// An entry without owner.json may be one being written right now: stale only when old.
	if (!owner) {
		try {
			if (Date.now() - statSync(dir).mtimeMs < 10_000) return false;
		} catch {
			return false;
		}
	}
	const aside = `${dir}.stale-${process.pid}-${Date.now()}`;
	try {
		renameSync(dir, aside);
	} catch {
		return false;
	}
	rmSync(aside, { recursive: true, force: true });
	return take();
}

export class SimNetwork {
	private constructor(
		private readonly stateDir: string,
		readonly range: string,
		readonly cidr: string,
		private ports: number[],
		private readonly log: (m: string) => void
	) {}

	get bridge(): string {
		return bridgeName(this.cidr);
	}
	get gateway(): string {
		return gatewayOf(this.cidr);
	}
	get gatewayPorts(): number[] {
		return [...this.ports];
	}

	info(): NetworkInfo {
		return { bridge: this.bridge, cidr: this.cidr, gateway: this.gateway, gatewayPorts: this.gatewayPorts, range: this.range };
	}

	/**
	 * Claim a /24 (the one in DIR/network.json when it is free, so CTs keep their addresses), create the
	 * bridge with the gateway address, and route the whole range `unreachable` on the host.
	 */
	static async open(o: { stateDir: string; range?: string; gatewayPorts?: number[]; log: (m: string) => void }): Promise<SimNetwork> {
		const range = o.range ?? DEFAULT_RANGE;
		const bad = checkRange(range);
		if (bad) throw new Error(bad);
		mkdirSync(REGISTRY, { recursive: true, mode: 0o700 });
		await removeStale(o.log);
		// The whole range goes nowhere but to the bridges inside it (their /24 routes are more specific).
		await exec('ip', ['route', 'replace', 'unreachable', range]);
		const file = join(o.stateDir, 'network.json');
		let remembered: string | undefined;
		try {
			remembered = (JSON.parse(readFileSync(file, 'utf8')) as { cidr?: string }).cidr;
		} catch {
			/* first start */
		}
		const inUse = await networksInUse(range);
		const all = subnetsOf(range);
		// Start new simulators at a random /24 so that ones started at the same moment rarely race.
		const offset = Math.floor(Math.random() * all.length);
		const order = [...(remembered && all.includes(remembered) ? [remembered] : []), ...all.slice(offset), ...all.slice(0, offset)];
		let cidr: string | undefined;
		for (const cand of order) {
			if (inUse.some((n) => overlaps(n, cand))) continue;
			if (!claim(cand, o.stateDir)) continue;
			// A bridge left by a dead owner of this /24 (removeStale raced with its exit): replace it.
			if (await bridgeExists(bridgeName(cand))) await deleteLink(bridgeName(cand));
			cidr = cand;
			break;
		}
		if (!cidr) throw new Error(`pve-sim: no free /24 left in ${range} (see ${REGISTRY})`);
		if (remembered && remembered !== cidr) o.log(`pve-sim: ${remembered} is taken by another simulator; CTs move to ${cidr}`);
		writeFileSync(file, `${JSON.stringify({ cidr })}\n`, { mode: 0o600 });
		const net = new SimNetwork(o.stateDir, range, cidr, parsePorts(o.gatewayPorts ?? [], '--gateway-ports'), o.log);
		try {
			await net.createBridge();
		} catch (err) {
			await net.close();
			throw err;
		}
		return net;
	}

	private async createBridge(): Promise<void> {
		const br = this.bridge;
		await exec('ip', ['link', 'add', 'name', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
		// No IPv6 on the bridge: a link-local address would be a second way from the CTs to the host.
		writeFileSync(`/proc/sys/net/ipv6/conf/${br}/disable_ipv6`, '1');
		await exec('ip', ['-batch', '-'], [`addr add ${this.gateway}/24 dev ${br}`, `link set dev ${br} up`, ''].join('\n'));
	}

	/** Remove the bridge and release the claim (the range's `unreachable` route stays: other simulators may share it). */
	async close(): Promise<void> {
		await deleteLink(this.bridge);
		const dir = join(REGISTRY, this.cidr.split('/')[0]);
		if (readOwner(dir)?.pid === process.pid) rmSync(dir, { recursive: true, force: true });
	}

	/** Where a CT's filter and address files live (its boot reads them). */
	files(ctDir: string): CtNetFiles {
		return { rules: join(ctDir, 'nft.rules'), batch: join(ctDir, 'net.batch') };
	}

	/**
	 * Give the network namespace of `pid` (a CT's PID 1, created with `unshare --net`) its eth0 on the
	 * bridge and write the filter and address files its boot applies (CtNetFiles) before sshd listens.
	 */
	async attach(vmid: number, pid: number, ctDir: string, n: CtNet): Promise<CtNetFiles> {
		if (!inCidr(n.address, this.cidr)) throw new Error(`address ${n.address} is not on ${this.cidr}`);
		if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(n.hwaddr)) throw new Error(`bad MAC ${n.hwaddr}`);
		if (n.gw !== undefined && !inCidr(n.gw, this.cidr)) throw new Error(`gateway ${n.gw} is not on ${this.cidr}`);
		const host = vethName(this.cidr, vmid);
		// A leftover of a CT whose namespace is still held somewhere.
		if (existsSync(`/sys/class/net/${host}`)) await deleteLink(host);
		// No IPv6 address on either end (addrgenmode none): a link-local address would be a second way
		// between a CT and the host, outside the IPv4 filter.
		await exec(
			'ip',
			['-batch', '-'],
			[
				`link add name ${host} type veth peer name eth0 netns ${pid}`,
				`link set dev ${host} addrgenmode none`,
				`link set dev ${host} master ${this.bridge} up`,
				// The address may have belonged to a CT destroyed a moment ago: forget its MAC, or the host keeps
				// sending to it until the stale entry times out (many seconds).
				`neigh flush to ${n.address} dev ${this.bridge}`,
				''
			].join('\n')
		);
		const files = this.files(ctDir);
		writeFileSync(files.rules, ctRuleset({ address: n.address, cidr: this.cidr, gateway: this.gateway, ports: this.ports }), { mode: 0o600 });
		writeFileSync(
			files.batch,
			[
				'link set dev lo up',
				`link set dev eth0 address ${n.hwaddr.toLowerCase()} addrgenmode none`,
				`addr add ${n.address}/${n.prefix} dev eth0`,
				'link set dev eth0 up',
				...(n.gw ? [`route add default via ${n.gw} dev eth0`] : []),
				''
			].join('\n'),
			{ mode: 0o600 }
		);
		return files;
	}

	/** Remove the host end of a CT's veth (the kernel removes it with the namespace anyway). */
	async detach(vmid: number): Promise<void> {
		await deleteLink(vethName(this.cidr, vmid));
	}

	/** Change the gateway ports, for every running CT (by the PID of its PID 1) at once. */
	async setGatewayPorts(ports: number[], running: number[]): Promise<void> {
		const p = parsePorts(ports, 'gatewayPorts');
		const update = portsUpdate(p);
		const errors: string[] = [];
		await Promise.all(
			running.map((pid) =>
				exec('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'nft', '-f', '-'], update).catch((e: unknown) => {
					errors.push(String(e));
				})
			)
		);
		this.ports = p;
		if (errors.length) this.log(`pve-sim: gateway ports not applied everywhere: ${errors.join('; ')}`);
	}

	/** Host part kept, network replaced: a CT's address when its simulator had to move to another /24. */
	moveAddress(address: string): string {
		const last = Number(address.split('.')[3]);
		return intToIp(ipToInt(this.cidr.split('/')[0]) + last);
	}
}
