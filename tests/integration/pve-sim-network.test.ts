// A network per simulated CT (issue 18 item 2): each CT has its own network namespace on the simulator's
// bridge. From a CT shell: the host's loopback services refuse, the gateway answers only on the ports the
// simulator exposes (changed at run time), another CT is reachable at its address, two CTs serve port
// 8080 at once, CT root cannot change its address, routes or filter, and a static `ip=` is honoured.
// The bridge goes with the simulator, and one left by a killed simulator is removed by the next.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlGet, ctAddress, makeKey, pveRequest, setGatewayPorts, simNetwork, ssh, startSim, waitTask, type RunningSim, type SimJson } from '../helpers/sim';
import { TEST_TEMPLATE } from '../helpers/templates';

const run = promisify(execFile);
const DEBIAN = TEST_TEMPLATE;

let sim: RunningSim;
let sj: SimJson;
let key: { dir: string; key: string; pub: string };
const addr: Record<number, string> = {};
const listeners: net.Server[] = [];

/** A TCP listener on the host that greets every connection with `hello <tag>`; closed in afterAll. */
async function listen(host: string, tag: string): Promise<number> {
	const srv = net.createServer((s) => s.end(`hello ${tag}\n`));
	listeners.push(srv);
	await new Promise<void>((res, rej) => {
		srv.once('error', rej);
		srv.listen(0, host, () => res());
	});
	return (srv.address() as net.AddressInfo).port;
}

/** What a client on the host reads from host:port (proves the listener really answers). */
function readFrom(host: string, port: number): Promise<string> {
	return new Promise((resolve, reject) => {
		const s = net.connect({ host, port });
		let out = '';
		s.setTimeout(3000, () => s.destroy(new Error('timeout')));
		s.on('data', (b) => (out += b.toString()));
		s.on('end', () => resolve(out));
		s.on('error', reject);
	});
}

const inCt = (vmid: number, cmd: string) => ssh(key.key, addr[vmid], sj.sshPort, cmd);

/** From inside a CT: the first line read from host:port, or `REFUSED: <error>` (bash /dev/tcp, 3 s). */
async function probe(vmid: number, host: string, port: number): Promise<string> {
	const r = await inCt(vmid, `timeout 3 bash -c 'exec 3<>/dev/tcp/${host}/${port}; head -n1 <&3' 2>&1 || echo "REFUSED"`);
	expect(r.code).toBe(0);
	return r.stdout.trim();
}

async function createCt(vmid: number, net0: string): Promise<void> {
	const r = await pveRequest<string>(sj, 'POST', '/nodes/pve/lxc', {
		form: { vmid, hostname: `net-${vmid}`, ostemplate: DEBIAN, rootfs: 'local-lvm:4', net0, 'ssh-public-keys': key.pub }
	});
	expect(r.status, r.raw).toBe(200);
	expect(await waitTask(sj, r.body?.data as string)).toMatchObject({ exitstatus: 'OK' });
	const s = await pveRequest<string>(sj, 'POST', `/nodes/pve/lxc/${vmid}/status/start`);
	expect(await waitTask(sj, s.body?.data as string)).toMatchObject({ exitstatus: 'OK' });
	addr[vmid] = await ctAddress(sj, 'pve', vmid);
}

/** A web server on CT port 8080 that answers its own hostname; resolves once it answers inside the CT. */
async function serve8080(vmid: number): Promise<void> {
	const r = await inCt(
		vmid,
		'mkdir -p /tmp/www && hostname > /tmp/www/index.html && cd /tmp/www && (setsid python3 -m http.server 8080 >/dev/null 2>&1 < /dev/null &) && for i in $(seq 50); do curl -sf http://127.0.0.1:8080/ && exit 0; sleep 0.1; done; exit 1'
	);
	expect(r, r.stderr).toMatchObject({ code: 0, stdout: `net-${vmid}\n` });
}

beforeAll(async () => {
	key = await makeKey();
	sim = await startSim();
	sj = sim.simJson;
	const prefix = simNetwork(sj).cidr.split('.').slice(0, 3).join('.');
	await createCt(160, 'name=eth0,bridge=vmbr0,ip=dhcp');
	await createCt(161, `name=eth0,bridge=vmbr0,ip=${prefix}.200/24,gw=${prefix}.1`);
});

afterAll(async () => {
	for (const l of listeners) l.close();
	await sim?.stop();
	if (key) rmSync(key.dir, { recursive: true, force: true });
});

describe('the node bridge', () => {
	it('is in sim.json, owns its /24 and routes the whole range nowhere but to bridges', async () => {
		const n = simNetwork(sj);
		expect(n.bridge).toMatch(/^pvsim[0-9a-f]{6}$/);
		expect(n.cidr).toMatch(/^10\.213\.\d+\.0\/24$/);
		expect(n.gateway).toBe(n.cidr.replace(/0\/24$/, '1'));
		const { stdout: a } = await run('ip', ['-4', '-br', 'addr', 'show', 'dev', n.bridge]);
		expect(a).toContain(`${n.gateway}/24`);
		const { stdout: routes } = await run('ip', ['-4', 'route', 'show']);
		expect(routes).toContain(`unreachable ${n.range}`);
		const { stdout: fwd } = await run('sysctl', ['-n', 'net.ipv4.ip_forward']);
		expect(fwd.trim()).toBe('0');
	});
});

describe('from a CT shell', () => {
	it('has its own address, a route to the gateway and no IPv6 off loopback', async () => {
		const r = await inCt(160, 'ip -4 -o addr show dev eth0; ip route; ip -6 -o addr show dev eth0 | wc -l');
		expect(r.code).toBe(0);
		expect(r.stdout).toContain(`inet ${addr[160]}/24`);
		expect(r.stdout).toContain(`default via ${simNetwork(sj).gateway} dev eth0`);
		expect(r.stdout.trim().split('\n').pop()).toBe('0');
	});

	it("refuses the host's loopback services: a listener on 127.0.0.1, the sim's API and its control port", async () => {
		const port = await listen('127.0.0.1', 'loopback');
		expect(await readFrom('127.0.0.1', port)).toBe('hello loopback\n');
		const api = Number(new URL(sj.url).port);
		const controlPort = Number(new URL(sj.control.url).port);
		for (const p of [port, api, controlPort]) {
			expect(await probe(160, '127.0.0.1', p)).toMatch(/REFUSED/);
			expect(await probe(160, simNetwork(sj).gateway, p)).toMatch(/REFUSED/);
		}
		// The simulated Proxmox host's sshd on loopback, and the machine's own eth0 address through the gateway.
		expect(await probe(160, sj.host.address, sj.host.port)).toMatch(/REFUSED/);
		const eth0 = await listen('0.0.0.0', 'all');
		expect(await probe(160, '192.0.2.2', eth0)).toMatch(/REFUSED/);
	});

	it('reaches the gateway only on an exposed port, changed at run time for running CTs', async () => {
		const gw = simNetwork(sj).gateway;
		const open = await listen('0.0.0.0', 'open');
		const closed = await listen('0.0.0.0', 'closed');
		expect(await readFrom(gw, open)).toBe('hello open\n');
		expect(await readFrom(gw, closed)).toBe('hello closed\n');
		expect(await probe(160, gw, open)).toMatch(/REFUSED/);
		const before = simNetwork(sj).gatewayPorts;
		expect((await setGatewayPorts(sj, [...before, open])).gatewayPorts).toContain(open);
		expect(await probe(160, gw, open)).toBe('hello open');
		expect(await probe(161, gw, open)).toBe('hello open');
		expect(await probe(160, gw, closed)).toMatch(/REFUSED/);
		await setGatewayPorts(sj, before);
		expect(await probe(160, gw, open)).toMatch(/REFUSED/);
	});

	it('reaches another CT at its address, and two CTs serve port 8080 at once', async () => {
		await serve8080(160);
		await serve8080(161);
		const a = await inCt(160, `curl -sS -m 3 http://${addr[161]}:8080/`);
		expect(a).toMatchObject({ code: 0, stdout: 'net-161\n' });
		const b = await inCt(161, `curl -sS -m 3 http://${addr[160]}:8080/`);
		expect(b).toMatchObject({ code: 0, stdout: 'net-160\n' });
		// Spyre and Caddy on the host reach both as they would on a LAN.
		for (const v of [160, 161]) expect(await (await fetch(`http://${addr[v]}:8080/`)).text()).toBe(`net-${v}\n`);
	});

	it('cannot change its address, routes or filter as CT root', async () => {
		const r = await inCt(
			161,
			[
				'id -u',
				`ip addr add ${simNetwork(sj).cidr.replace(/0\/24$/, '99')}/24 dev eth0 2>&1 && echo CHANGED-ADDR`,
				'ip addr flush dev eth0 2>&1 && echo CHANGED-FLUSH',
				'ip route del default 2>&1 && echo CHANGED-ROUTE',
				'ip link set eth0 down 2>&1 && echo CHANGED-LINK',
				'nft flush ruleset 2>&1 && echo CHANGED-NFT',
				'nft list ruleset >/dev/null 2>&1 && echo LISTED-NFT',
				'echo 0 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6 2>&1 && echo CHANGED-SYSCTL',
				'ip -4 -o addr show dev eth0; ip route',
				'true'
			].join('; ')
		);
		expect(r.code).toBe(0);
		expect(r.stdout.split('\n')[0]).toBe('0');
		expect(r.stdout).not.toMatch(/CHANGED|LISTED/);
		expect(r.stdout).toContain(`inet ${addr[161]}/24`);
		expect(r.stdout).toContain(`default via ${simNetwork(sj).gateway} dev eth0`);
		// The filter still holds after the attempts: the control port refuses, a peer answers.
		expect(await probe(161, '127.0.0.1', Number(new URL(sj.control.url).port))).toMatch(/REFUSED/);
		expect(await probe(161, simNetwork(sj).gateway, Number(new URL(sj.url).port))).toMatch(/REFUSED/);
	});

	it("honours a static ip= and gw= from net0, and refuses one off the bridge with Proxmox's 400", async () => {
		const prefix = simNetwork(sj).cidr.split('.').slice(0, 3).join('.');
		expect(addr[161]).toBe(`${prefix}.200`);
		const ifs = (await pveRequest<{ name: string; inet?: string }[]>(sj, 'GET', '/nodes/pve/lxc/161/interfaces')).body?.data;
		expect(ifs?.find((i) => i.name === 'eth0')?.inet).toBe(`${prefix}.200/24`);
		expect((await inCt(161, 'hostname')).stdout).toBe('net-161\n');
		for (const ip of ['192.0.2.50/24', '127.0.0.5/8', `${prefix}.1/24`]) {
			const r = await pveRequest(sj, 'POST', '/nodes/pve/lxc', {
				form: { vmid: 169, hostname: 'off-bridge', ostemplate: DEBIAN, rootfs: 'local-lvm:4', net0: `name=eth0,bridge=vmbr0,ip=${ip}` }
			});
			expect(r.status).toBe(400);
			expect(r.raw).toMatch(/net0/);
		}
	});
});

describe('address reuse', () => {
	it("a new CT on a destroyed CT's static address is reachable at once (the host forgets the old MAC)", async () => {
		const prefix = simNetwork(sj).cidr.split('.').slice(0, 3).join('.');
		await createCt(162, `name=eth0,bridge=vmbr0,ip=${prefix}.201/24`);
		expect((await inCt(162, 'hostname')).stdout).toBe('net-162\n');
		const stop = await pveRequest<string>(sj, 'POST', '/nodes/pve/lxc/162/status/stop');
		await waitTask(sj, stop.body?.data as string);
		const del = await pveRequest<string>(sj, 'DELETE', '/nodes/pve/lxc/162');
		expect(await waitTask(sj, del.body?.data as string)).toMatchObject({ exitstatus: 'OK' });
		// Same address, new MAC; the start task ends OK only once the host reaches its sshd.
		await createCt(163, `name=eth0,bridge=vmbr0,ip=${prefix}.201/24`);
		expect(addr[163]).toBe(`${prefix}.201`);
		expect((await inCt(163, 'hostname')).stdout).toBe('net-163\n');
		// A DHCP create does not hand out an address released a moment ago.
		const r = await pveRequest<string>(sj, 'POST', '/nodes/pve/lxc', { form: { vmid: 164, hostname: 'net-164', ostemplate: DEBIAN, rootfs: 'local-lvm:4', net0: 'name=eth0,bridge=vmbr0,ip=dhcp' } });
		await waitTask(sj, r.body?.data as string);
		const stop163 = await pveRequest<string>(sj, 'POST', '/nodes/pve/lxc/163/status/stop');
		await waitTask(sj, stop163.body?.data as string);
		const del163 = await pveRequest<string>(sj, 'DELETE', '/nodes/pve/lxc/163');
		await waitTask(sj, del163.body?.data as string);
		const r2 = await pveRequest<string>(sj, 'POST', '/nodes/pve/lxc', { form: { vmid: 165, hostname: 'net-165', ostemplate: DEBIAN, rootfs: 'local-lvm:4', net0: 'name=eth0,bridge=vmbr0,ip=dhcp' } });
		await waitTask(sj, r2.body?.data as string);
		const cfg = (await pveRequest<Record<string, string>>(sj, 'GET', '/nodes/pve/lxc/165/config')).body?.data;
		expect(cfg?.net0).toContain('ip=dhcp');
		const state = await controlGet<{ cts: Record<string, { address: string }> }>(sj, '/state');
		expect(state.cts['165'].address).not.toBe(`${prefix}.201`);
		expect(state.cts['165'].address).not.toBe(state.cts['164'].address);
	});
});

describe('the bridge lifecycle', () => {
	it('keeps the /24 and CT addresses across a restart, removes the bridge at stop, and cleans up after a killed simulator', async () => {
		const before = simNetwork(sj);
		const dir = sim.stateDir;
		await sim.stop({ keep: true });
		await expect(run('ip', ['link', 'show', 'dev', before.bridge])).rejects.toThrow();
		sim = await startSim({ stateDir: dir });
		sj = sim.simJson;
		expect(simNetwork(sj).cidr).toBe(before.cidr);
		expect(await ctAddress(sj, 'pve', 160)).toBe(addr[160]);
		expect((await inCt(160, 'hostname')).stdout).toBe('net-160\n');
		// A killed simulator leaves its bridge; the next one on the machine removes it.
		process.kill(sim.pid, 'SIGKILL');
		for (let i = 0; i < 50; i++) {
			try {
				process.kill(sim.pid, 0);
				await new Promise((r) => setTimeout(r, 100));
			} catch {
				break;
			}
		}
		await run('ip', ['link', 'show', 'dev', before.bridge]);
		sim = await startSim({ stateDir: dir });
		sj = sim.simJson;
		expect(sim.output()).toContain(`removing bridge ${before.bridge}`);
		expect((await inCt(160, 'hostname')).stdout).toBe('net-160\n');
	});
});
