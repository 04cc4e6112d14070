// Which address a CT gets: on the node's bridge (a DHCP-like pick that hands out released addresses last,
// network.ts planAddress) or, in non-root mode, a free loopback address of the host; and moving CTs onto
// the bridge when the simulator starts with one. Owns the addresses reserved by creates in flight.
import * as ct from './containers';
import { ApiError } from './http';
import { inCidr, planAddress, type SimNetwork } from './network';
import { isIpv4 } from './params';
import { intToIp, ipToInt, type StateStore } from './state';

const fail = (msg: string): ApiError => new ApiError(500, msg);

export class CtAddresses {
	/** Addresses picked by a create whose CT record does not exist yet. */
	readonly reserved = new Set<string>();
	/** Released DHCP addresses, by time: like a DHCP server, hand them out again only when nothing else is free. */
	private readonly released = new Map<string, number>();

	constructor(
		private readonly store: StateStore,
		private readonly runtime: ct.CtRuntime,
		private readonly net?: SimNetwork
	) {}

	/** A destroyed CT's address: free again, but handed out last. */
	release(ip: string): void {
		this.released.set(ip, Date.now());
	}

	addressTaken(ip: string): boolean {
		return this.reserved.has(ip) || Object.values(this.store.state.cts).some((c) => c.address === ip);
	}

	dhcpFree(ip: string, strict: boolean): boolean {
		if (this.addressTaken(ip)) return false;
		return !strict || Date.now() - (this.released.get(ip) ?? 0) > 60_000;
	}

	/**
	 * The address of a new CT (create or clone) from its first net device: on the bridge, its static `ip=`
	 * or a DHCP pick; in non-root mode a loopback `ip=` or a free loopback address. The address stays
	 * reserved until the caller has stored the CT's record (then `reserved.delete`).
	 */
	async plan(first: Record<string, string> | undefined): Promise<{ address: string; inet: string; useStatic: boolean; staticIp?: string }> {
		const staticIp = first?.ip && first.ip !== 'dhcp' && first.ip !== 'manual' ? first.ip : undefined;
		let address: string;
		let inet: string;
		let useStatic: boolean;
		if (this.net) {
			let plan = planAddress(first, this.net.cidr, (ip) => this.dhcpFree(ip, true));
			if ('error' in plan) plan = planAddress(first, this.net.cidr, (ip) => this.dhcpFree(ip, false));
			if ('error' in plan) throw new ApiError(400, 'Parameter verification failed.', { net0: plan.error });
			this.reserved.add(plan.address);
			address = plan.address;
			inet = `${plan.address}/${plan.prefix}`;
			useStatic = !plan.dhcp;
		} else {
			const staticAddr = staticIp?.split('/')[0];
			useStatic = staticAddr !== undefined && /^127\./.test(staticAddr) && staticAddr !== '127.0.0.1' && isIpv4(staticAddr);
			address = useStatic ? (staticAddr as string) : await this.allocateAddress();
			inet = useStatic ? (staticIp as string) : `${address}/8`;
		}
		return { address, inet, useStatic, staticIp };
	}

	/** Legacy (non-root) mode: a free loopback address for the CT's sshd in the host's network. */
	async allocateAddress(): Promise<string> {
		const used = new Set(Object.values(this.store.state.cts).map((c) => c.address));
		const st = this.store.state;
		const start = st.addrCursor;
		const end = ipToInt('127.254.255.254');
		for (let n = start, tries = 0; tries < 65536; n = n >= end ? ipToInt('127.77.0.2') : n + 1, tries++) {
			const ip = intToIp(n);
			const last = n % 256;
			if (last === 0 || last === 1 || last === 255 || ip.startsWith('127.77.255.') || used.has(ip) || this.reserved.has(ip)) continue;
			this.reserved.add(ip);
			const free = await ct.portFree(ip, this.runtime.sshPort);
			if (!free) continue;
			st.addrCursor = n + 1;
			return ip;
		}
		throw fail('no free loopback address left for a new CT');
	}

	/**
	 * Simulator start with a bridge: a CT whose address is not on it (the simulator had to take another
	 * /24, or the CT comes from a loopback-only simulator) gets one there, keeping its host part if it can.
	 */
	adoptNetwork(log: (msg: string) => void): void {
		const net = this.net;
		if (!net) return;
		let changed = false;
		for (const rec of Object.values(this.store.state.cts)) {
			if (inCidr(rec.address, net.cidr)) continue;
			const moved = net.moveAddress(rec.address);
			const prefix = rec.inet.endsWith('/8') ? 24 : Number(rec.inet.split('/')[1] ?? 24);
			let address = moved;
			if (/^127\./.test(rec.address) || this.addressTaken(moved) || /\.(0|1|255)$/.test(moved)) {
				const plan = planAddress(undefined, net.cidr, (ip) => !this.addressTaken(ip));
				if ('error' in plan) throw new Error(plan.error);
				address = plan.address;
			}
			log(`pve-sim: CT ${rec.vmid}: address ${rec.address} is not on ${net.cidr}; it is now ${address}`);
			rec.address = address;
			rec.inet = `${address}/${prefix}`;
			changed = true;
		}
		if (changed) this.store.save();
	}
}
