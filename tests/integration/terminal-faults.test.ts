// Terminals through the built server against a simulator CT when things break: the CT's sshd is killed
// mid-session (simulator fault switch), and Spyre itself restarts while a terminal is open. The terminal
// must say what happened, the server must stay up, and the work in tmux must survive a Spyre restart.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, startSim, type RunningSim } from '../helpers/sim';
import { login, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { waitForEnvironment } from '../helpers/environments';
import { TEST_TEMPLATE } from '../helpers/templates';

let sim: RunningSim;
let spyre: RunningSpyre;
let cookie: string;
let envId = '';
const PASS = 'correct-horse-battery';

async function api(method: string, path: string, body?: unknown): Promise<Response> {
	return fetch(`${spyre.url}${path}`, {
		method,
		// Origin as a browser sends it: Spyre refuses mutating requests without one.
		headers: { cookie, origin: spyre.url, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
}

const waitRunning = () => waitForEnvironment(api, envId);

interface Term {
	ws: WebSocket;
	text: () => string;
	controls: Array<Record<string, unknown>>;
	waitText(needle: string, ms?: number): Promise<void>;
	closed: Promise<{ code: number; reason: string }>;
	type(s: string): void;
}

async function openTerminal(window: number): Promise<Term> {
	const url = `${spyre.url.replace('http', 'ws')}/api/terminal/${envId}?window=${window}&cols=100&rows=30`;
	const ws = new WebSocket(url, { headers: { cookie }, origin: spyre.url });
	let out = '';
	const controls: Array<Record<string, unknown>> = [];
	ws.on('message', (data, isBinary) => {
		if (isBinary) out += data.toString();
		else controls.push(JSON.parse(data.toString()));
	});
	ws.on('error', () => {});
	const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, r) => resolve({ code, reason: r.toString() })));
	await new Promise<void>((resolve, reject) => {
		const t = setTimeout(() => reject(new Error(`no ready; controls ${JSON.stringify(controls)}`)), 15_000);
		const check = setInterval(() => {
			if (controls.some((c) => c.type === 'ready')) {
				clearTimeout(t);
				clearInterval(check);
				resolve();
			}
		}, 20);
		void closed.then((c) => {
			clearTimeout(t);
			clearInterval(check);
			reject(new Error(`closed ${c.code} ${c.reason} before ready; controls ${JSON.stringify(controls)}`));
		});
	});
	return {
		ws,
		text: () => out,
		controls,
		closed,
		type: (s) => ws.send(Buffer.from(s)),
		async waitText(needle, ms = 10_000) {
			const deadline = Date.now() + ms;
			while (!out.includes(needle)) {
				if (Date.now() > deadline) throw new Error(`"${needle}" never appeared; got ${JSON.stringify(out.slice(-400))}`);
				await new Promise((r) => setTimeout(r, 25));
			}
		}
	};
}

async function firstWindow(): Promise<number> {
	const res = await api('GET', `/api/environments/${envId}/windows`);
	const { windows } = (await res.json()) as { windows: Array<{ index: number }> };
	return windows[0].index;
}

beforeAll(async () => {
	sim = await startSim();
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson });
	cookie = await setupAdmin(spyre.url, 'admin', PASS);
	const res = await api('POST', '/api/environments', {
		hostname: 'faulty',
		template: TEST_TEMPLATE,
		cores: 1,
		memory: 512,
		disk: 4
	});
	envId = ((await res.json()) as { id: string }).id;
	await waitRunning();
});

afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

describe('terminal tabs API', () => {
	it('lists, creates (hostile names stay literal), renames and kills windows, auditing each', async () => {
		const base = `/api/environments/${envId}/windows`;
		const list = (await (await api('GET', base)).json()) as { windows: Array<{ index: number; name: string }> };
		expect(list.windows.length).toBeGreaterThan(0);
		const hostile = "$(touch /tmp/pwned) a'b;c";
		const created = await api('POST', base, { name: hostile });
		expect(created.status).toBe(201);
		const { window } = (await created.json()) as { window: { index: number; name: string } };
		expect(window.name).toBe(hostile);
		const renamed = await api('PATCH', `${base}/${window.index}`, { name: 'logs `id`' });
		expect(await renamed.json()).toEqual({ index: window.index, name: 'logs `id`' });
		const names = ((await (await api('GET', base)).json()) as { windows: Array<{ name: string }> }).windows.map((w) => w.name);
		expect(names).toContain('logs `id`');
		expect((await api('DELETE', `${base}/${window.index}`)).status).toBe(204);
		const after = ((await (await api('GET', base)).json()) as { windows: Array<{ index: number }> }).windows.map((w) => w.index);
		expect(after).not.toContain(window.index);
		const audit = await (await api('GET', '/settings')).text();
		for (const action of ['terminal.window.create', 'terminal.window.rename', 'terminal.window.kill']) expect(audit).toContain(action);
		// Bad input is a clear 4xx, not a stack.
		for (const [method, path, body] of [
			['PATCH', `${base}/abc`, { name: 'x' }],
			['PATCH', `${base}/${list.windows[0].index}`, { name: 'bad\u0007name' }],
			['DELETE', `${base}/-1`, undefined],
			['GET', '/api/environments/env-nope/windows', undefined]
		] as const) {
			const res = await api(method, path, body);
			expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
			expect(res.status, `${method} ${path}`).toBeLessThan(500);
			expect(((await res.json()) as { error: string }).error).toBeTruthy();
		}
	});
});

describe('terminal faults', () => {
	it('keeps tmux work across a Spyre restart: the client sees 1001, reconnects, and finds its output', async () => {
		const win = await firstWindow();
		const t = await openTerminal(win);
		t.type("echo before''-restart\r");
		await t.waitText('before-restart');

		const stopped = await spyre.stop({ keepData: true });
		expect(stopped.code).toBe(0);
		expect((await t.closed).code).toBe(1001);

		spyre = await startSpyre({ mode: 'built', reuse: spyre });
		cookie = await login(spyre.url, 'admin', PASS);
		const again = await openTerminal(win);
		// History is replayed on reattach: what ran before the restart is there.
		await again.waitText('before-restart');
		again.type("echo after''-restart\r");
		await again.waitText('after-restart');
		again.ws.close();
		await again.closed;
	});

	it("says what happened when the CT's sshd dies mid-session, stays up, and recovers after a restart of the CT", async () => {
		const win = await firstWindow();
		const t = await openTerminal(win);
		t.type("echo alive''-1\r");
		await t.waitText('alive-1');
		const env = (await (await api('GET', `/api/environments/${envId}`)).json()) as { vmid: number };

		await control(sim.simJson, { killSshd: { vmid: env.vmid } });
		const closed = await t.closed;
		// A retryable close (not 1000/44xx-that-needs-a-person), with a message the terminal shows.
		expect([1000, 4401, 4403, 4404]).not.toContain(closed.code);
		expect(t.controls.some((c) => c.type === 'status' || c.type === 'error' || c.type === 'exit')).toBe(true);

		// While sshd is down a reconnect is refused with a clear error, and the server stays healthy.
		const refused = await openTerminal(win).then(
			(x) => {
				x.ws.close();
				return null;
			},
			(err: Error) => err.message
		);
		expect(refused).toMatch(/closed \d+/);
		expect((await fetch(`${spyre.url}/healthz`)).status).toBe(200);

		// A stop/start of the CT brings sshd back; the terminal works again.
		expect((await api('POST', `/api/environments/${envId}/stop`)).status).toBe(202);
		const deadline = Date.now() + 30_000;
		for (;;) {
			const s = (await (await api('GET', `/api/environments/${envId}`)).json()) as { status: string };
			if (s.status === 'stopped') break;
			if (Date.now() > deadline) throw new Error(`stop did not finish: ${s.status}`);
			await new Promise((r) => setTimeout(r, 250));
		}
		expect((await api('POST', `/api/environments/${envId}/start`)).status).toBe(202);
		await waitRunning();
		const fresh = await openTerminal(await firstWindow());
		fresh.type("echo alive''-2\r");
		await fresh.waitText('alive-2');
		fresh.ws.close();
		await fresh.closed;
	});
});
