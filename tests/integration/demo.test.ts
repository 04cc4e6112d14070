// `./setup.sh demo` as a newcomer runs it: the simulator, Caddy and Spyre come up, a page can be signed into,
// a service of a demo environment opens at its printed URL (<service>--<hostname>.localhost, in Chromium
// with no resolver flags: it resolves *.localhost itself) for the signed-in owner and not for anyone else,
// Ctrl-C stops everything, and the next run finds the same containers again — and they still work: a provision
// retried after the restart runs its script in the CT's /var/lib/spyre (which an older simulator covered
// with a read-only mask at every CT boot), where Claude tasks keep their files too.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright';
import { afterAll, describe, expect, it } from 'vitest';
import { command } from '../../src/lib/server/shell';
import { pveRequest, ssh, type SimJson } from '../helpers/sim';
import { REPO_ROOT, freePort, setupAdmin } from '../helpers/spyre';
import { isAlive } from '../helpers/sshd';
import { processesNaming } from '../helpers/processes';
import { APT_CACHE_DIR } from '../helpers/debian-proxy';
import { STANDARD_TEMPLATE, TEST_TEMPLATE } from '../helpers/templates';

const demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-demo-'));
let child: ChildProcess | undefined;

const USER = 'demo';
const PASS = 'correct-horse-battery';
const SVC_PORT = 8080;
/** A web server any Debian template can run (perl-base is Essential), answering every request with one line. */
const PERL_SERVER =
	'use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => $ARGV[1], Listen => 5, ReuseAddr => 1) or die "$!"; ' +
	'while (my $c = $s->accept) { while (<$c>) { last if /^\r?$/ } print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n\r\nhello from svc-one"; close $c }';

async function startDemo(port: number, simPort: number): Promise<{ out: () => string; exited: Promise<number | null>; brokerPort: number }> {
	let out = '';
	const [brokerPort, appPort, caddyAdminPort] = [await freePort(), await freePort(), await freePort()];
	// Its own process group, so a Ctrl-C (SIGINT to the group) reaches the script and its children, as in a terminal.
	child = spawn('bash', [path.join(REPO_ROOT, 'setup.sh'), 'demo'], {
		cwd: REPO_ROOT,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
		env: {
			...process.env,
			PORT: String(port),
			SIM_PORT: String(simPort),
			BROKER_PORT: String(brokerPort),
			SPYRE_APP_PORT: String(appPort),
			CADDY_ADMIN_PORT: String(caddyAdminPort),
			SPYRE_DEMO_DIR: demoDir,
			// The machine's package cache, shared with the other tests: only the first run fetches from Debian.
			APT_CACHE_DIR
		}
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
/** The demo's Caddy (its command line names its Caddyfile in the demo dir). */
const demoCaddy = (): number[] => processesNaming(path.join(demoDir, 'caddy', 'Caddyfile'));

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const v = await fn().catch((e: Error) => e as unknown as T);
		if (ok(v)) return v;
		if (Date.now() > deadline) throw new Error(`timed out; last ${String(JSON.stringify(v) ?? v).slice(0, 400)}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

/** A GET to the demo's Caddy with this Host header (fetch cannot set Host, and needs no resolver this way). */
function viaCaddy(port: number, host: string, headers: Record<string, string> = {}, pathname = '/'): Promise<{ status: number; location?: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port, path: pathname, headers: { ...headers, host } }, (r) => {
			r.resume();
			resolve({ status: r.statusCode ?? 0, ...(r.headers.location ? { location: r.headers.location } : {}) });
		});
		req.on('error', reject);
		req.end();
	});
}

/**
 * Provision an environment with a `web` service from a config of the demo's, start a server in it, and
 * check its URL in Chromium: the owner gets the page, a browser without a session only Spyre's sign-in.
 */
async function checkServiceUrl(url: string, port: number, cookie: string, sim: SimJson): Promise<void> {
	const hostname = 'svc-one';
	fs.mkdirSync(path.join(demoDir, 'data', 'configs'), { recursive: true });
	fs.writeFileSync(
		path.join(demoDir, 'data', 'configs', 'svc-demo.yaml'),
		`apiVersion: spyre/v1\nkind: Environment\nmetadata: { name: svc-demo }\nspec:\n  platform: { template: ${TEST_TEMPLATE} }\n  services:\n    - { name: web, port: ${SVC_PORT}, protocol: http }\n`
	);
	const api = (method: string, pathname: string, body?: unknown) =>
		fetch(`${url}${pathname}`, { method, headers: { origin: url, cookie, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
	const res = await api('POST', '/api/environments/provision', { config: 'svc-demo', hostname });
	expect(res.status, await res.clone().text()).toBe(202);
	const { id } = (await res.json()) as { id: string };
	const env = await waitFor(
		async () => (await (await api('GET', `/api/environments/${id}`)).json()) as { status: string; ip: string | null },
		(e) => e.status === 'running' || e.status === 'error',
		120_000
	);
	expect(env.status).toBe('running');
	const started = await ssh(
		path.join(demoDir, 'data', 'ssh', 'id_ed25519'),
		env.ip!,
		sim.sshPort,
		`nohup ${command('perl', '-e', PERL_SERVER, env.ip!, String(SVC_PORT))} >/dev/null 2>&1 </dev/null & echo started`
	);
	expect(started.stdout.trim(), started.stderr).toBe('started');
	const service = `http://web--${hostname}.localhost:${port}`;
	// The environment page links the URL the demo printed the pattern of.
	expect(await (await api('GET', `/environments/${id}`)).text()).toContain(`${service}/`);

	const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
	try {
		// Not signed in: the service URL leads to Spyre's sign-in page, never to the service.
		const stranger = await browser.newPage();
		await stranger.goto(`${service}/`);
		await stranger.getByLabel('Username').waitFor();
		expect(new URL(stranger.url()).origin).toBe(url);
		expect(await stranger.textContent('body')).not.toContain('hello from svc-one');

		// Signed in: the handshake gives this browser the service's own credential and the page loads.
		const owner = await browser.newPage();
		await owner.goto(`${url}/login`);
		await owner.getByLabel('Username').fill(USER);
		await owner.getByLabel('Password').fill(PASS);
		await owner.getByRole('button', { name: 'Sign in' }).click();
		await owner.getByRole('navigation', { name: 'Main' }).waitFor();
		// The server may take a moment to listen after nohup: reload until it answers.
		await waitFor(
			async () => {
				await owner.goto(`${service}/`);
				return owner.textContent('body');
			},
			(t) => typeof t === 'string' && t.includes('hello from svc-one'),
			30_000
		);
		expect(new URL(owner.url()).origin).toBe(service);
	} finally {
		await browser.close();
	}
	// Without the service's credential, a script gets no answer from the service either.
	expect((await viaCaddy(port, `web--${hostname}.localhost:${port}`, { accept: 'application/json' })).status).toBe(401);
	// A name under .localhost that is no service is Caddy's 404, never Spyre; localhost itself leads to Spyre's one origin.
	expect((await viaCaddy(port, `nothing--here.localhost:${port}`)).status).toBe(404);
	expect(await viaCaddy(port, `localhost:${port}`, {}, '/environments')).toEqual({ status: 302, location: `${url}/environments` });
}

/**
 * One script, run from /var/lib/spyre/scripts as every provision script is; no packages. No template of its
 * own: the demo's default, Proxmox's plain standard template, which has no tmux — the bring-up installs it
 * from Debian's archive through the demo's package proxy, as every demo environment's does.
 */
const KEPT_CONFIG = `apiVersion: spyre/v1
kind: Environment
metadata:
  name: kept-cfg
spec:
  platform:
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
	// The first run installs tmux through the package proxy (the standard template has none): minutes on a busy machine.
	for (const end = Date.now() + 240_000; Date.now() < end; await new Promise((r) => setTimeout(r, 300))) {
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
		const demoYaml = fs.readFileSync(path.join(demoDir, 'environment.yaml'), 'utf8');
		expect(demoYaml).toContain(`apt_proxy: ${proxyUrl}`);
		expect(demoYaml).toContain(`npm_registry: ${proxyUrl}/`);
		// Exposed to CTs at the gateway: the package proxy and the Claude credential broker, nothing else.
		expect(sim.network!.gatewayPorts).toEqual([3142, first.brokerPort]);
		// It serves Debian's archive and npm packages only: `/` is neither, refused without any request leaving.
		const refused = await fetch(`${proxyUrl}/`, { headers: {} }).then((r) => r.status);
		expect(refused).toBe(403);
		expect(first.out()).toContain(`http://<service>--<hostname>.localhost:${port}/`);
		const cookie = await setupAdmin(url, USER, PASS);
		expect((await fetch(`${url}/environments`, { headers: { cookie } })).status).toBe(200);
		await checkServiceUrl(url, port, cookie, sim);
		const caddyPids = demoCaddy();
		expect(caddyPids).toHaveLength(1);

		fs.mkdirSync(path.join(demoDir, 'data', 'configs'), { recursive: true });
		fs.writeFileSync(path.join(demoDir, 'data', 'configs', 'kept-cfg.yaml'), KEPT_CONFIG);
		const post = (p: string, body: unknown) => fetch(`${url}${p}`, { method: 'POST', headers: { cookie, origin: url, 'content-type': 'application/json' }, body: JSON.stringify(body) });
		const started = await post('/api/environments/provision', { config: 'kept-cfg', hostname: 'kept' });
		expect(started.status).toBe(202);
		const envId = ((await started.json()) as { id: string }).id;
		const firstRun = await provisionOutcome(url, cookie, envId);
		expect(firstRun.status, firstRun.error ?? '').toBe('succeeded');
		expect(demoYaml).toContain(`template: ${STANDARD_TEMPLATE}`);
		const env = (await (await fetch(`${url}/api/environments/${envId}`, { headers: { cookie } })).json()) as { vmid: number; ip: string };
		const vmid = env.vmid;
		// tmux came from Debian's archive through the demo's proxy, which refused nothing.
		const tmux = await ssh(path.join(demoDir, 'data', 'ssh', 'id_ed25519'), env.ip, sim.sshPort, "dpkg-query -W -f '${Status}' tmux");
		expect(tmux.stdout, tmux.stderr).toBe('install ok installed');
		expect(first.out()).not.toMatch(/apt-proxy: REFUSED \d+ GET http:/);
		const simPid = sim.pid;
		expect(isAlive(simPid)).toBe(true);

		ctrlC();
		expect(await first.exited).toBe(0);
		expect(isAlive(simPid)).toBe(false);
		expect(caddyPids.filter(isAlive)).toEqual([]);
		await expect(fetch(`${url}/healthz`)).rejects.toThrow();
		expect(first.out()).toMatch(/Demo stopped/);

		const second = await startDemo(port, simPort);
		const sim2 = JSON.parse(fs.readFileSync(path.join(demoDir, 'sim', 'sim.json'), 'utf8')) as SimJson;
		const status = await pveRequest<{ status: string; name: string }>(sim2, 'GET', `/nodes/${sim2.node}/lxc/${vmid}/status/current`);
		expect([status.status, status.statusText]).toEqual([200, 'OK']);
		expect(status.body!.data).toMatchObject({ status: 'running', name: 'kept' });
		// Spyre's own data (the admin account) is kept too.
		const login = await fetch(`${url}/login`, {
			method: 'POST',
			redirect: 'manual',
			headers: { origin: url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
			body: `username=${USER}&password=${PASS}`
		});
		expect(login.status).toBe(303);
		// The CT booted again: its /var/lib/spyre is its own and writable. A retried script step runs there,
		// and a Claude task's directory can be made there (what a task does first).
		const retried = await post(`/api/environments/${envId}/retry`, { fromStep: 'script:note' });
		expect(retried.status).toBe(202);
		const secondRun = await provisionOutcome(url, cookie, envId, firstRun.id);
		expect(secondRun.status, secondRun.error ?? '').toBe('succeeded');
		const inCt = await ssh(
			path.join(demoDir, 'data', 'ssh', 'id_ed25519'),
			env.ip,
			sim2.sshPort,
			'wc -l < /var/lib/spyre/notes && mkdir -p /var/lib/spyre/claude && touch /var/lib/spyre/claude/probe && echo writable'
		);
		expect(inCt.stdout).toBe('2\nwritable\n');
		ctrlC();
		expect(await second.exited).toBe(0);
		expect(isAlive(sim2.pid)).toBe(false);
	}, 480_000);
});
