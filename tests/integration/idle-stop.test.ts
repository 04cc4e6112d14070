// Idle stop and wake against the real Proxmox simulator (a real CT with its sshd), a real SQLite file and the
// real terminal socket and forward_auth route, in this process. Time is the lifecycle's injected clock, moved
// by the test and swept by hand (sweepOnce), never slept: an environment stops after its idle time, not while
// any of the four kinds of activity is present, and comes back from its terminal socket and its service URL;
// schedules stop and start it; and the graceful stop it uses ends stopped when the CT goes down on its own.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, startSim, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import { waitFor } from '../helpers/wait';
import { TEST_TEMPLATE } from '../helpers/templates';
import type { ServerEvent } from '../../src/lib/server/events';
import { SERVICE_COOKIE, SPYRE_COOKIE_NAMES } from '../../src/lib/server/auth/session-cookie';

const MIN = 60_000;
const IDLE = 5;
const BASE_DOMAIN = 'svc.idle.test';

let sim: RunningSim;
let data: TestDataDir;
let environments: typeof import('../../src/lib/server/environments');
let lifecycle: typeof import('../../src/lib/server/lifecycle');
let repo: typeof import('../../src/lib/server/environments/repo');
let db: import('better-sqlite3').Database;
let wss: WebSocketServer;
let wsUrl = '';
const seen: ServerEvent[] = [];
let unsubscribe = () => {};
const clock = { t: Date.now(), now: () => clock.t };
let lastSweep = clock.t;
let envId = '';
/** The signed-in person: the terminal's user and the service credential's owner (a start job records them). */
let owner: { id: number; username: string };

/** Move the injected clock and sweep over the time that passed, as the background service would. */
function advanceAndSweep(ms: number) {
	const from = lastSweep;
	clock.t += ms;
	lastSweep = clock.t;
	return lifecycle.sweepOnce(from, clock.t);
}

const status = () => repo.getEnvironment(envId)!.status;

/** A failure's message: the row and its newest runs with their steps and errors (a failed start can carry an empty error). */
function whyNotRunning(): string {
	const row = repo.getEnvironment(envId);
	const runs = environments.listRuns(envId, 3).map((r) => {
		const run = environments.getRun(r.id);
		return { kind: r.kind, status: r.status, error: r.error, events: run?.events.filter((e) => e.kind !== 'log').map((e) => `${e.kind}: ${e.message}`) };
	});
	return JSON.stringify({ status: row?.status, error: row?.error, errorStep: row?.error_step, stoppedBy: row?.stopped_by, runs });
}

async function stopped(): Promise<void> {
	await environments.settled(envId);
	expect(status()).toBe('stopped');
}

interface Client {
	ws: WebSocket;
	text: () => string;
	controls: Array<Record<string, unknown>>;
	closed: Promise<number>;
}

function openTerminal(): Promise<Client> {
	const ws = new WebSocket(`${wsUrl}/${envId}?cols=80&rows=24`);
	let out = '';
	const controls: Array<Record<string, unknown>> = [];
	ws.on('message', (d, binary) => (binary ? (out += (d as Buffer).toString('utf8')) : controls.push(JSON.parse(String(d)))));
	const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
	return new Promise((resolve, reject) => {
		ws.once('open', () => resolve({ ws, text: () => out, controls, closed }));
		ws.once('error', reject);
	});
}

async function closeTerminal(c: Client): Promise<void> {
	c.ws.close();
	await c.closed;
	// The server lets go of its hold when it sees the close.
	await waitFor(
		() => lifecycle.heldKinds(envId),
		(k) => !k.includes('terminal'),
		10_000,
		25
	);
}

beforeAll(async () => {
	sim = await startSim({ nodes: ['pve'] });
	data = await makeDataDir({ simJson: sim.simJson, config: { lifecycle: { idle_stop_minutes: IDLE }, caddy: { base_domain: BASE_DOMAIN } } });
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	environments = await import('../../src/lib/server/environments');
	lifecycle = await import('../../src/lib/server/lifecycle');
	repo = await import('../../src/lib/server/environments/repo');
	db = (await import('../../src/lib/server/db')).getDb();
	environments.timings.shutdownTimeoutS = 3;
	lifecycle.useClock(clock);
	const events = await import('../../src/lib/server/events');
	unsubscribe = events.subscribe((e) => seen.push(e));

	const auth = await import('../../src/lib/server/auth');
	owner = await auth.createFirstAdmin('owner', 'a long enough password 1', db);
	const { handleTerminal } = await import('../../src/lib/server/terminal/socket');
	wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
	wss.on('connection', (ws, req) => {
		const u = new URL(req.url!, 'http://x');
		void handleTerminal(ws, { user: { id: owner.id, username: owner.username }, ip: '127.0.0.1', envId: u.pathname.split('/').pop()!, params: u.searchParams });
	});
	await new Promise((r) => wss.once('listening', r));
	wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/api/terminal`;

	const row = await environments.createEnvironment({ hostname: 'idle-1', template: TEST_TEMPLATE, cores: 1, memory: 512, disk: 4 }, { username: 'tester' });
	envId = row.id;
	await environments.settled(envId);
	expect(status()).toBe('running');
	// Idle time counts from when the sweeper sees it running.
	advanceAndSweep(0);
}, 180_000);

afterAll(async () => {
	unsubscribe();
	await new Promise((r) => (wss ? wss.close(r) : r(undefined)));
	await environments?.settleAll();
	const ssh = await import('../../src/lib/server/ssh');
	await ssh.closeSshPool();
	(await import('../../src/lib/server/db')).closeDb();
	await sim?.stop();
	data?.remove();
});

describe('idle stop', () => {
	it('leaves it running before its idle time', () => {
		expect(advanceAndSweep((IDLE - 1) * MIN)).toEqual([]);
		expect(status()).toBe('running');
	});

	it('is not stopped while a terminal is open, through the real terminal socket', async () => {
		const c = await openTerminal();
		await waitFor(
			() => c.controls.some((m) => m.type === 'ready'),
			(ok) => ok,
			30_000,
			25
		);
		expect(advanceAndSweep(3 * IDLE * MIN)).toEqual([]);
		await closeTerminal(c);
		// Closing the terminal was activity: the idle time counts from then.
		expect(advanceAndSweep((IDLE - 1) * MIN)).toEqual([]);
		expect(status()).toBe('running');
	});

	for (const kind of ['task', 'gateway'] as const) {
		it(`is not stopped while a ${kind} holds it`, () => {
			const release = lifecycle.hold(envId, kind);
			try {
				expect(advanceAndSweep(3 * IDLE * MIN)).toEqual([]);
			} finally {
				release();
			}
			expect(advanceAndSweep((IDLE - 1) * MIN)).toEqual([]);
		});
	}

	it('a request to one of its services is activity', () => {
		clock.t += (IDLE - 1) * MIN;
		lifecycle.touch(envId, 'service');
		expect(advanceAndSweep((IDLE - 1) * MIN)).toEqual([]);
	});

	it('is stopped gracefully after its idle time: audited as Spyre with the reason, a live notice, marked in lists', async () => {
		seen.length = 0;
		const acted = advanceAndSweep(IDLE * MIN);
		expect(acted).toEqual([{ envId, hostname: 'idle-1', decision: { action: 'stop', reason: 'idle', detail: `idle ${IDLE} minutes` }, error: null }]);
		await stopped();
		const run = environments.latestRun(envId)!;
		expect(run.kind).toBe('stop');
		expect(run.events.filter((e) => e.kind === 'step').map((e) => e.step)).toContain('shutdown');
		const audit = db.prepare("SELECT username, outcome, detail FROM audit_log WHERE action = 'environment.stop' ORDER BY id DESC LIMIT 1").get();
		expect(audit).toEqual({ username: 'spyre', outcome: 'success', detail: `idle ${IDLE} minutes` });
		const notice = await waitFor(
			() => seen.find((e) => e.type === 'notice'),
			(n) => n !== undefined,
			10_000,
			25
		);
		expect(notice?.data).toMatchObject({ kind: 'environment.lifecycle', environmentId: envId, title: `idle-1 stopped (idle ${IDLE} minutes)` });
		expect(environments.toView(repo.getEnvironment(envId)!).stoppedBy).toBe('idle');
		// Stopped: nothing more to do, however long it stays idle.
		expect(advanceAndSweep(10 * IDLE * MIN)).toEqual([]);
	});
});

describe('wake', () => {
	it('opening its terminal starts it, says so in the terminal, then attaches', async () => {
		expect(status()).toBe('stopped');
		const c = await openTerminal();
		// Ready, or the close that ended it (its reason in the controls), whichever comes first.
		const ready = waitFor(
			() => c.controls.some((m) => m.type === 'ready'),
			(ok) => ok,
			120_000,
			50
		).then(() => 'ready');
		const outcome = await Promise.race([ready, c.closed.then((code) => `closed ${code}: ${JSON.stringify(c.controls)}`)]);
		expect(outcome).toBe('ready');
		expect(c.text()).toContain('Starting idle-1…');
		expect(c.controls.find((m) => m.type === 'status')).toMatchObject({ state: 'connecting', message: 'Starting idle-1…' });
		expect(status()).toBe('running');
		expect(environments.toView(repo.getEnvironment(envId)!).stoppedBy).toBeNull();
		const start = db.prepare("SELECT username, outcome FROM audit_log WHERE action = 'environment.start' ORDER BY id DESC LIMIT 1").get();
		expect(start).toEqual({ username: 'owner', outcome: 'success' });
		await closeTerminal(c);
	}, 150_000);

	it('opening one of its service URLs answers a "starting…" page on that origin, starts it, then lets the service through', async () => {
		advanceAndSweep(0);
		advanceAndSweep(IDLE * MIN);
		await stopped();

		const proxyStore = await import('../../src/lib/server/proxy/store');
		const auth = await import('../../src/lib/server/auth');
		const credentials = await import('../../src/lib/server/service-auth/credentials');
		const { GET } = await import('../../src/routes/auth/forward/+server');
		proxyStore.insertShared(envId, 'idle-1', 'p8080', 8080);
		const host = `p8080--idle-1.${BASE_DOMAIN}`;
		const session = auth.createSession(owner.id);
		const code = credentials.issueCode({ environmentId: envId, service: 'p8080', host }, { sessionHash: auth.hashToken(session.token), userId: owner.id, username: owner.username }, '/');
		const token = credentials.redeemCode(code, host)!.token;
		const forward = () =>
			(GET as unknown as (e: unknown) => Promise<Response> | Response)({
				request: new Request('http://127.0.0.1/auth/forward', {
					headers: { 'x-spyre-service-host': host, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/', 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', accept: 'text/html' }
				}),
				cookies: { get: (name: string) => (name === SERVICE_COOKIE ? token : undefined) }
			});

		const page = await forward();
		expect(page.status).toBe(503);
		expect(page.headers.get('content-type')).toContain('text/html');
		expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
		const html = await page.text();
		expect(html).toContain('Starting idle-1…');
		expect(html).toContain('http-equiv="refresh"');
		expect(html).not.toContain('<script');
		for (const name of SPYRE_COOKIE_NAMES) expect(html).not.toContain(name);

		await waitFor(status, (s) => s === 'running', 120_000, 250);
		// Running, but nothing listens on the service's port yet: page loads keep the "starting…" page
		// (Caddy's bare 502 would stop its reloading) until the service answers or a few minutes passed.
		const waiting = await forward();
		expect(waiting.status).toBe(503);
		expect(await waiting.text()).toContain('p8080 loads here as soon as it answers');
		clock.t += 3 * MIN + 1;
		expect((await forward()).status).toBe(200);
		const start = db.prepare("SELECT username, outcome FROM audit_log WHERE action = 'environment.start' ORDER BY id DESC LIMIT 1").get();
		expect(start).toEqual({ username: 'owner', outcome: 'success' });
	}, 150_000);
});

describe('schedule', () => {
	const ALL_DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
	/** "HH:MM" of the injected clock plus `minutes`, in the server's time zone, as a config writes it. */
	const hhmm = (minutes: number) => {
		const d = new Date(clock.t + minutes * MIN);
		return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
	};

	it('stops it at its stop time and starts it at its start time, audited with the time', async () => {
		expect(status()).toBe('running');
		const stop = hhmm(2);
		lifecycle.saveLifecycle(envId, { idleStopMinutes: 0, schedule: [{ days: [...ALL_DAYS], stop }] });
		advanceAndSweep(0);
		expect(advanceAndSweep(MIN)).toEqual([]);
		expect(advanceAndSweep(2 * MIN)).toMatchObject([{ decision: { action: 'stop', reason: 'schedule', detail: `scheduled stop at ${stop}` }, error: null }]);
		await stopped();
		expect(environments.toView(repo.getEnvironment(envId)!).stoppedBy).toBe('schedule');

		const start = hhmm(2);
		lifecycle.saveLifecycle(envId, { idleStopMinutes: 0, schedule: [{ days: [...ALL_DAYS], start }] });
		expect(advanceAndSweep(3 * MIN)).toMatchObject([{ decision: { action: 'start', reason: 'schedule', detail: `scheduled start at ${start}` }, error: null }]);
		await environments.settled(envId);
		expect(status(), whyNotRunning()).toBe('running');
		const rows = db.prepare("SELECT action, username, detail FROM audit_log WHERE detail LIKE 'scheduled %' ORDER BY id").all();
		expect(rows).toEqual([
			{ action: 'environment.stop', username: 'spyre', detail: `scheduled stop at ${stop}` },
			{ action: 'environment.start', username: 'spyre', detail: `scheduled start at ${start}` }
		]);
	}, 150_000);
});

describe('stop', () => {
	it('a graceful shutdown that fails while the CT goes down on its own still ends stopped (the hard stop finds nothing running)', async () => {
		expect(status()).toBe('running');
		const vmid = repo.getEnvironment(envId)!.vmid!;
		// The shutdown task fails after a while; meanwhile the CT's PID 1 dies, so the hard stop that follows
		// is refused with "CT N not running", as Proxmox answers a stop of a CT that finished going down.
		await control(sim.simJson, { failNext: { type: 'vzshutdown', message: 'container did not stop' }, delayNext: { type: 'vzshutdown', ms: 1500 } });
		environments.stopEnvironment(envId, { userId: owner.id, username: owner.username, ip: '127.0.0.1' });
		// Its shutdown task runs (the row shows it): PID 1 dies under it.
		await waitFor(
			() => repo.getEnvironment(envId)!.current_task ?? '',
			(t) => t.includes(':vzshutdown:'),
			10_000,
			10
		);
		const initPid = Number(readFileSync(join(sim.stateDir, 'cts', String(vmid), 'init.pid'), 'utf8').trim());
		process.kill(initPid, 'SIGKILL');
		await environments.settled(envId);
		const run = environments.latestRun(envId)!;
		expect({ status: status(), run: run.status, error: run.error }, whyNotRunning()).toEqual({ status: 'stopped', run: 'succeeded', error: null });
		const messages = run.events.map((e) => e.message);
		expect(messages).toContain('Graceful shutdown failed (container did not stop); stopping it hard.');
		expect(messages).toContain('The container went down on its own before the hard stop.');
	}, 60_000);
});
