// `./setup.sh demo` as a newcomer runs it: the simulator and Spyre come up, a page can be signed into,
// Ctrl-C stops both, and the next run finds the same containers again — and they still work: a provision
// retried after the restart runs its script in the CT's /var/lib/spyre (which an older simulator covered
// with a read-only mask at every CT boot), where Claude tasks keep their files too.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pveRequest, ssh, type SimJson } from '../helpers/sim';
import { REPO_ROOT, freePort, setupAdmin } from '../helpers/spyre';
import { isAlive } from '../helpers/sshd';
import { processesNaming } from '../helpers/processes';
import { TEST_TEMPLATE } from '../helpers/templates';

const demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-demo-'));
let child: ChildProcess | undefined;

async function startDemo(port: number, simPort: number): Promise<{ out: () => string; exited: Promise<number | null>; brokerPort: number }> {
	let out = '';
	const brokerPort = await freePort();
	// Its own process group, so a Ctrl-C (SIGINT to the group) reaches the script and its children, as in a terminal.
	child = spawn('bash', [path.join(REPO_ROOT, 'setup.sh'), 'demo'], {
		cwd: REPO_ROOT,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
		env: { ...process.env, PORT: String(port), SIM_PORT: String(simPort), BROKER_PORT: String(brokerPort), SPYRE_DEMO_DIR: demoDir }
	});
	child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
	child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
	const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
	const deadline = Date.now() + 120_000;
	while (!out.includes('spyre: listening on')) {
		if (child.exitCode !== null) throw new Error(`demo exited early:\n${out}`);
		if (Date.now() > deadline) throw new Error(`demo did not start:\n${out}`);
		await new Promise((r) => setTimeout(r, 100));
	}
	return { out: () => out, exited, brokerPort };
}

function ctrlC(): void {
	if (child?.pid) process.kill(-child.pid, 'SIGINT');
}

/** PIDs of processes whose command line names the demo dir (the simulator's CT helpers run in sessions of their own). */
const demoProcesses = (): number[] => processesNaming(demoDir);

/** One script, run from /var/lib/spyre/scripts as every provision script is; no packages (no network in tests). */
const CONFIG = `apiVersion: spyre/v1
kind: Environment
metadata:
  name: kept-cfg
spec:
  platform:
    template: ${TEST_TEMPLATE}
    cores: 1
    memory: 512
    disk: 4
  provision:
    scripts:
      - name: note
        run: date >> /var/lib/spyre/notes
`;

/** The provision run of `id` newer than `after` (a run id), once it ended; its status. */
async function provisionOutcome(url: string, cookie: string, id: string, after = 0): Promise<{ id: number; status: string; error: string | null }> {
	for (const end = Date.now() + 90_000; Date.now() < end; await new Promise((r) => setTimeout(r, 300))) {
		const res = await fetch(`${url}/api/environments/${id}/run?kind=provision`, { headers: { cookie } });
		const run = ((await res.json()) as { run: { id: number; status: string; error: string | null } | null }).run;
		if (run && run.id > after && !['running', 'queued'].includes(run.status)) return run;
	}
	throw new Error(`the provision of ${id} did not end`);
}

afterAll(async () => {
	// Stop as a person would (Ctrl-C), and wait for the demo to finish stopping its simulator and CTs before
	// its directory goes; anything still running after that is killed by PID.
	if (child?.pid && child.exitCode === null) {
		const exited = new Promise((r) => child!.once('exit', r));
		process.kill(-child.pid, 'SIGINT');
		await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
		if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
	}
	for (const pid of demoProcesses()) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// gone already
		}
	}
	fs.rmSync(demoDir, { recursive: true, force: true });
});

describe('./setup.sh demo', () => {
	it('serves a page you can sign into, stops both on Ctrl-C, and finds the same containers next time', async () => {
		const port = await freePort();
		const simPort = await freePort();
		const first = await startDemo(port, simPort);
		expect(first.out()).toContain(`http://127.0.0.1:${port}`);
		const sim = JSON.parse(fs.readFileSync(path.join(demoDir, 'sim', 'sim.json'), 'utf8')) as SimJson;
		const url = `http://127.0.0.1:${port}`;
		// The package proxy listens on the simulator's gateway, and the demo config points the CTs at it.
		const proxyUrl = `http://${sim.network!.gateway}:3142`;
		expect(first.out()).toContain(`apt-proxy listening on ${proxyUrl}`);
		expect(fs.readFileSync(path.join(demoDir, 'environment.yaml'), 'utf8')).toContain(`apt_proxy: ${proxyUrl}`);
		// Exposed to CTs at the gateway: the package proxy and the Claude credential broker, nothing else.
		expect(sim.network!.gatewayPorts).toEqual([3142, first.brokerPort]);
		// It serves Debian's archive only: another host is refused here, without any request leaving.
		const refused = await fetch(`${proxyUrl}/`, { headers: {} }).then((r) => r.status);
		expect(refused).toBe(400);
		const cookie = await setupAdmin(url, 'demo', 'correct-horse-battery');
		expect((await fetch(`${url}/environments`, { headers: { cookie } })).status).toBe(200);

		fs.mkdirSync(path.join(demoDir, 'data', 'configs'), { recursive: true });
		fs.writeFileSync(path.join(demoDir, 'data', 'configs', 'kept-cfg.yaml'), CONFIG);
		const post = (p: string, body: unknown) =>
			fetch(`${url}${p}`, { method: 'POST', headers: { cookie, origin: url, 'content-type': 'application/json' }, body: JSON.stringify(body) });
		const started = await post('/api/environments/provision', { config: 'kept-cfg', hostname: 'kept' });
		expect(started.status).toBe(202);
		const envId = ((await started.json()) as { id: string }).id;
		const firstRun = await provisionOutcome(url, cookie, envId);
		expect(firstRun.status, firstRun.error ?? '').toBe('succeeded');
		const env = (await (await fetch(`${url}/api/environments/${envId}`, { headers: { cookie } })).json()) as { vmid: number; ip: string };
		const vmid = env.vmid;
		const simPid = sim.pid;
		expect(isAlive(simPid)).toBe(true);

		ctrlC();
		expect(await first.exited).toBe(0);
		expect(isAlive(simPid)).toBe(false);
		await expect(fetch(`${url}/healthz`)).rejects.toThrow();
		expect(first.out()).toMatch(/Demo stopped/);

		const second = await startDemo(port, simPort);
		const sim2 = JSON.parse(fs.readFileSync(path.join(demoDir, 'sim', 'sim.json'), 'utf8')) as SimJson;
		const status = await pveRequest<{ status: string; name: string }>(sim2, 'GET', `/nodes/${sim2.node}/lxc/${vmid}/status/current`);
		expect([status.status, status.statusText]).toEqual([200, "OK"]);
		expect(status.body!.data).toMatchObject({ status: 'running', name: 'kept' });
		// Spyre's own data (the admin account) is kept too.
		const login = await fetch(`${url}/login`, {
			method: 'POST',
			redirect: 'manual',
			headers: { origin: url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
			body: 'username=demo&password=correct-horse-battery'
		});
		expect(login.status).toBe(303);
		// The CT booted again: its /var/lib/spyre is its own and writable. A retried script step runs there,
		// and a Claude task's directory can be made there (what a task does first).
		const retried = await post(`/api/environments/${envId}/retry`, { fromStep: 'script:note' });
		expect(retried.status).toBe(202);
		const secondRun = await provisionOutcome(url, cookie, envId, firstRun.id);
		expect(secondRun.status, secondRun.error ?? '').toBe('succeeded');
		const inCt = await ssh(path.join(demoDir, 'data', 'ssh', 'id_ed25519'), env.ip, sim2.sshPort, 'wc -l < /var/lib/spyre/notes && mkdir -p /var/lib/spyre/claude && touch /var/lib/spyre/claude/probe && echo writable');
		expect(inCt.stdout).toBe('2\nwritable\n');
		ctrlC();
		expect(await second.exited).toBe(0);
		expect(isAlive(sim2.pid)).toBe(false);
	});
});
