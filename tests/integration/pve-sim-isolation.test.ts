// The simulator's CTs are unprivileged and stand on a real template, not on the host: from a CT shell over
// real SSH no host file is there (a root-only canary in the host's /etc, the checkout, the simulator's
// state, Spyre-like data), nor what the host has installed (gcc), host processes cannot be signalled,
// writes and packages stay in the CT (and persist with it), and the control endpoint wants its secret and
// never shows the API token secret.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aptGet, buildAptRepo, ctRepoScript, HELLO_OUTPUT, type AptRepo } from '../helpers/apt-repo';
import { controlFetch, controlGet, ctAddress, makeKey, pveRequest, REPO_ROOT, ssh, startSim, waitTask, type RunningSim, type SimJson } from '../helpers/sim';
import { STANDARD_TEMPLATE, TEST_TEMPLATE } from '../helpers/templates';

const DEBIAN = TEST_TEMPLATE;
let run: RunningSim;
let sim: SimJson;
let key: Awaited<ReturnType<typeof makeKey>>;
let repo: AptRepo;
const addr: Record<number, string> = {};
// A Spyre-like data dir outside /tmp and the checkout (the simulator is told nothing about it), a marker in the
// host's /root and a root-only canary in the host's /etc.
const dataDir = `/var/lib/spyre-sim-test-${process.pid}`;
const rootMarker = `/root/.spyre-sim-test-${process.pid}`;
const canary = `/etc/spyre-sim-canary-${process.pid}`;
const SECRET = `data-secret-${process.pid}`;

async function createCt(vmid: number, template = DEBIAN): Promise<void> {
	const r = await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc', {
		form: { vmid, hostname: `iso-${vmid}`, ostemplate: template, rootfs: 'local-lvm:8', net0: 'name=eth0,bridge=vmbr0,ip=dhcp', 'ssh-public-keys': key.pub, start: 1 }
	});
	expect(r.status).toBe(200);
	await waitTask(sim, r.body?.data as string);
	await waitRunning(vmid);
}

async function waitRunning(vmid: number): Promise<void> {
	for (let i = 0; i < 200; i++) {
		const st = await pveRequest<{ status: string }>(sim, 'GET', `/nodes/pve/lxc/${vmid}/status/current`);
		if (st.body?.data.status === 'running') break;
		await new Promise((res) => setTimeout(res, 50));
	}
	// "running" is the desired state; the address shows once the boot has put it on eth0.
	for (const end = Date.now() + 30_000; ; await new Promise((res) => setTimeout(res, 100))) {
		try {
			addr[vmid] = await ctAddress(sim, 'pve', vmid);
			return;
		} catch (err) {
			if (Date.now() > end) throw err;
		}
	}
}

const inCt = (vmid: number, cmd: string, timeoutMs = 60_000) => ssh(key.key, addr[vmid], sim.sshPort, cmd, timeoutMs);
const onHost = (cmd: string) => ssh(sim.host.privateKeyPath, sim.host.address, sim.host.port, cmd);

beforeAll(async () => {
	mkdirSync(dataDir, { mode: 0o700 });
	writeFileSync(join(dataDir, 'spyre.db'), SECRET);
	writeFileSync(rootMarker, SECRET);
	writeFileSync(canary, SECRET, { mode: 0o600 });
	[key, repo] = await Promise.all([makeKey(), buildAptRepo(4)]);
	run = await startSim();
	sim = run.simJson;
	await createCt(140);
	await createCt(141);
	await createCt(142, STANDARD_TEMPLATE);
}, 60_000);

afterAll(async () => {
	await run?.stop();
	repo?.remove();
	if (key) rmSync(key.dir, { recursive: true, force: true });
	rmSync(dataDir, { recursive: true, force: true });
	rmSync(rootMarker, { force: true });
	rmSync(canary, { force: true });
});

/** Host PIDs of the processes in the CT's PID namespace whose command line starts with `prefix`. */
async function ctProcesses(vmid: number, prefix: string): Promise<number[]> {
	const state = await controlGet<{ runtime: Record<string, { initPid?: number }> }>(sim, '/state');
	const init = state.runtime[String(vmid)]?.initPid as number;
	const ns = readlinkSync(`/proc/${init}/ns/pid`);
	const out: number[] = [];
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		try {
			if (readlinkSync(`/proc/${name}/ns/pid`) !== ns) continue;
			if (readFileSync(`/proc/${name}/cmdline`, 'utf8').startsWith(prefix)) out.push(Number(name));
		} catch {
			/* gone */
		}
	}
	return out;
}

describe('an unprivileged CT', () => {
	it('is root inside, and its sshd runs as host uid >= 100000', async () => {
		expect((await inCt(140, 'id -u')).stdout).toBe('0\n');
		const session = inCt(140, 'sleep 3');
		await new Promise((r) => setTimeout(r, 1200));
		const sshds = await ctProcesses(140, 'sshd:');
		expect(sshds.length).toBeGreaterThan(0);
		for (const pid of sshds) {
			const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
			expect(uid).toBeGreaterThanOrEqual(100000);
		}
		expect((await session).code).toBe(0);
	});

	it("cannot read the host's shadow files, /root, SSH host keys, the sim's state or Spyre's data", async () => {
		const hostShadowRoot = readFileSync('/etc/shadow', 'utf8')
			.split('\n')
			.find((l) => l.startsWith('root:')) as string;
		const r = await inCt(
			140,
			[
				'cat /etc/shadow /etc/gshadow',
				'cat /etc/shadow- /etc/gshadow- /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ecdsa_key',
				`ls -A /root; cat ${rootMarker}`,
				`ls -A ${run.stateDir}; cat ${run.stateDir}/sim.json ${run.stateDir}/state.json`,
				`ls -A ${dataDir}; cat ${dataDir}/spyre.db`,
				`ls -A ${canary}; cat ${canary}`,
				`ls -A ${REPO_ROOT}; cat ${REPO_ROOT}/package.json`,
				'cat /etc/ssh/ssh_host_ed25519_key.pub',
				'true'
			].join('; ')
		);
		expect(r.code).toBe(0);
		const all = r.stdout + r.stderr;
		expect(all).not.toContain(hostShadowRoot);
		expect(r.stdout).toMatch(/^root:\*:/m);
		expect(all).not.toContain(SECRET);
		expect(all).not.toContain(sim.tokenSecret);
		expect(all).not.toContain(sim.control.secret);
		expect(all).not.toContain('"name": "spyre"');
		expect(all).not.toContain('PRIVATE KEY');
		expect(r.stdout).not.toContain(readFileSync('/etc/ssh/ssh_host_ed25519_key.pub', 'utf8').split(' ')[1]);
		expect(r.stdout).toContain(readFileSync(join(run.stateDir, 'cts/140/ssh_host_ed25519_key.pub'), 'utf8').split(' ')[1]);
		// Not even the names are there: the paths do not exist in the CT at all.
		const names = await inCt(140, `for p in ${canary} ${REPO_ROOT} ${run.stateDir} ${dataDir} /var/cache/spyre-sim; do [ -e "$p" ] && echo "visible: $p"; done; true`);
		expect(names).toMatchObject({ code: 0, stdout: '' });
	});

	it('has what its template has, not what the host has installed', async () => {
		expect(existsSync('/usr/bin/gcc')).toBe(true);
		const devtest = await inCt(140, 'for c in gcc cc make tmux git sshd; do command -v $c >/dev/null && echo "has $c"; done; cat /etc/debian_version');
		expect(devtest.stdout).toContain('has tmux');
		expect(devtest.stdout).toContain('has git');
		expect(devtest.stdout).not.toMatch(/has (gcc|cc|make)\n/);
		const standard = await inCt(
			142,
			'for c in gcc make tmux git sshd; do command -v $c >/dev/null && echo "has $c"; done; dpkg -s build-essential 2>&1 | head -1; cat /etc/machine-id | wc -c; ls /etc/ssh | grep -c \'^ssh_host_\''
		);
		expect(standard.stdout).toBe("has sshd\ndpkg-query: package 'build-essential' is not installed and no information is available\n0\n2\n");
	});

	it('can write anywhere a CT root may, /var/lib/spyre included (no masks)', async () => {
		const r = await inCt(140, 'mkdir -p /var/lib/spyre/scripts /work && echo ok > /var/lib/spyre/scripts/probe && cat /var/lib/spyre/scripts/probe');
		expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
	});

	it('cannot signal host processes or its own PID 1', async () => {
		const victim: ChildProcess = spawn('sleep', ['60'], { stdio: 'ignore' });
		try {
			const r = await inCt(140, `kill -0 ${victim.pid}; echo "zero=$?"; kill -9 ${victim.pid}; echo "nine=$?"; kill -9 1; echo "init=$?"`);
			expect(r.stdout).toMatch(/zero=[1-9]/);
			expect(r.stdout).toMatch(/nine=[1-9]/);
			expect(r.stdout).toMatch(/init=[1-9]/);
			expect(victim.exitCode).toBeNull();
			expect(() => process.kill(victim.pid as number, 0)).not.toThrow();
		} finally {
			victim.kill('SIGKILL');
		}
	});

	it('keeps its writes and its users to itself', async () => {
		const before = readFileSync('/etc/debian_version', 'utf8');
		const r = await inCt(
			140,
			'echo changed >> /etc/debian_version && echo probe > /usr/local/bin/spyre-ct-probe && useradd -m ctuser && id -u ctuser && ls -ld /home/ctuser && tail -c 8 /etc/debian_version'
		);
		expect(r).toMatchObject({ code: 0 });
		expect(r.stdout).toContain('changed');
		expect(readFileSync('/etc/debian_version', 'utf8')).toBe(before);
		expect(existsSync('/usr/local/bin/spyre-ct-probe')).toBe(false);
		expect(readFileSync('/etc/passwd', 'utf8')).not.toMatch(/^ctuser:/m);
		expect(existsSync('/home/ctuser')).toBe(false);
		expect((await inCt(141, 'id ctuser; ls /usr/local/bin/spyre-ct-probe; tail -c 8 /etc/debian_version')).stdout).not.toContain('changed');
	});
});

describe('packages in a CT', () => {
	it('apt-get installs from a local repository; the host and another CT never see it', async () => {
		expect((await inCt(140, `${ctRepoScript(repo)} && ${aptGet('update')}`)).code).toBe(0);
		const r = await inCt(140, `${aptGet('install spyre-hello')} && spyre-hello && dpkg -s spyre-hello | grep Status`);
		expect(r.code).toBe(0);
		expect(r.stdout).toContain(HELLO_OUTPUT);
		expect(r.stdout).toContain('Status: install ok installed');
		expect(existsSync('/usr/bin/spyre-hello')).toBe(false);
		const other = await inCt(141, 'ls /usr/bin/spyre-hello; dpkg -s spyre-hello');
		expect(other.code).not.toBe(0);
		expect(other.stdout).not.toContain('install ok installed');
	}, 90_000);

	it('a second apt-get waits while the dpkg lock is held in the CT', async () => {
		// spyre-slow's postinst sleeps 4 s while apt holds /var/lib/dpkg/lock-frontend.
		const r = await inCt(
			140,
			`(${aptGet('install spyre-slow')} >/tmp/slow.log 2>&1 &); sleep 1; t0=$(date +%s%N); ${aptGet('install --reinstall spyre-hello')} >/tmp/second.log 2>&1; echo "rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))"; grep -c 'Waiting for cache lock' /tmp/second.log; dpkg -s spyre-slow | grep Status`,
			90_000
		);
		expect(r.stdout).toContain('rc=0');
		expect(Number(/ms=(\d+)/.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(1500);
		expect(r.stdout).toContain('Status: install ok installed');
	}, 90_000);

	it('pct exec on the Proxmox host runs as CT root in the CT filesystem', async () => {
		const r = await onHost('pct exec 140 -- sh -c "id -u; spyre-hello; cat /proc/self/uid_map; cat /etc/shadow | head -1"');
		expect(r.code, r.stderr).toBe(0);
		const lines = r.stdout.trim().split('\n');
		expect(lines[0]).toBe('0');
		expect(lines[1]).toBe(HELLO_OUTPUT);
		expect(lines[2].trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
		expect(lines[3]).toMatch(/^root:\*:/);
	});

	it("keeps a CT's files across a simulator restart and removes them on destroy", async () => {
		expect((await inCt(140, 'echo kept > /root/keep')).code).toBe(0);
		await run.stop({ keep: true });
		run = await startSim({ stateDir: run.stateDir });
		sim = run.simJson;
		await waitRunning(140);
		const r = await inCt(140, 'cat /root/keep; spyre-hello; id -u ctuser >/dev/null && echo user-kept; mkdir -p /var/lib/spyre/claude && cat /var/lib/spyre/scripts/probe');
		expect(r.stdout).toBe(`kept\n${HELLO_OUTPUT}\nuser-kept\nok\n`);
		const upper = join(run.stateDir, 'cts/140/upper');
		expect(readFileSync(join(upper, 'root/keep'), 'utf8')).toBe('kept\n');
		expect(statSync(join(upper, 'root/keep')).uid).toBe(100000);
		await waitTask(sim, (await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc/140/status/stop')).body?.data as string);
		await waitTask(sim, (await pveRequest<string>(sim, 'DELETE', '/nodes/pve/lxc/140')).body?.data as string);
		expect(existsSync(join(run.stateDir, 'cts/140'))).toBe(false);
	}, 60_000);
});

describe('the control endpoint', () => {
	it('refuses requests without the secret and never shows the token secret', async () => {
		for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer wrong' }, { Authorization: sim.control.secret }]) {
			const res = await fetch(`${sim.control.url}/state`, { headers });
			expect(res.status).toBe(401);
			expect(await res.text()).not.toContain(sim.tokenSecret);
		}
		const post = await fetch(`${sim.control.url}/faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 5000 }) });
		expect(post.status).toBe(401);
		for (const path of ['/state', '/faults', '/requests']) {
			const res = await controlFetch(sim, path);
			expect(res.status).toBe(200);
			expect(await res.text()).not.toContain(sim.tokenSecret);
		}
		expect(await controlGet(sim, '/faults')).toMatchObject({ latencyMs: 0 });
		expect(statSync(join(run.stateDir, 'sim.json')).mode & 0o077).toBe(0);
		expect(statSync(join(run.stateDir, 'state.json')).mode & 0o077).toBe(0);
	});
});
