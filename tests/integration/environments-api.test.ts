// The environments HTTP API and live events against the built server (`node server.js`) and the real
// simulator, including a Spyre restart in the middle of a create.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, onBridge, startSim, type RunningSim } from '../helpers/sim';
import { openEvents, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
let sim: RunningSim;
let spyre: RunningSpyre;
let cookie: string;

function api(method: string, path: string, body?: unknown, withCookie = true) {
	return fetch(`${spyre.url}${path}`, {
		method,
		// Origin as a browser sends it: Spyre refuses mutating requests without one.
		headers: { origin: spyre.url, ...(withCookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
	});
}

async function waitForStatus(id: string, statuses: string[], ms = 30_000): Promise<Record<string, unknown>> {
	const deadline = Date.now() + ms;
	for (;;) {
		const res = await api('GET', `/api/environments/${id}`);
		const env = (await res.json()) as Record<string, unknown>;
		if (statuses.includes(String(env.status))) return env;
		if (Date.now() > deadline) throw new Error(`environment ${id} stayed ${env.status}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

beforeAll(async () => {
	sim = await startSim();
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson });
	cookie = await setupAdmin(spyre.url, 'admin', 'correct-horse-battery');
});

afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

describe('environments API', () => {
	let id = '';

	it('POST returns 202 with the id; progress and the running state arrive over /api/events', async () => {
		const events = await openEvents(spyre.url, cookie);
		try {
			const res = await api('POST', '/api/environments', { hostname: 'api-1', template: TEMPLATE, cores: 1, memory: 512, disk: 4 });
			expect(res.status).toBe(202);
			const body = (await res.json()) as { id: string };
			id = body.id;
			expect(id).toMatch(/^env-/);
			const running = await events.waitFor((m) => m.type === 'env.updated' && (m.data as { environment: { id: string; status: string } }).environment.status === 'running', 30_000);
			expect(onBridge(sim.simJson, (running.data as { environment: { ip: string } }).environment.ip)).toBe(true);
			const logLines = events.messages.filter((m) => m.type === 'env.log').map((m) => (m.data as { message: string }).message);
			expect(logLines).toContain('TASK OK');
			const seqs = events.messages.filter((m) => typeof m.seq === 'number').map((m) => m.seq!);
			expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
		} finally {
			events.close();
		}
		const env = (await (await api('GET', `/api/environments/${id}`)).json()) as Record<string, unknown>;
		expect(env).toMatchObject({ id, hostname: 'api-1', status: 'running', node: 'pve' });
		expect(typeof env.vmid).toBe('number');
		expect(onBridge(sim.simJson, String(env.ip))).toBe(true);
		const list = (await (await api('GET', '/api/environments')).json()) as { environments: Array<{ id: string }> };
		expect(list.environments.map((e) => e.id)).toContain(id);
	});

	it('answers bad input and unknown ids with JSON {error, code} and the right status', async () => {
		const cases: Array<[string, string, unknown, number, string]> = [
			['POST', '/api/environments', { hostname: 'bad;name', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, 422, 'validation'],
			['POST', '/api/environments', { hostname: 'api-1', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, 422, 'validation'],
			['POST', '/api/environments', { hostname: 'x1', template: 'local:vztmpl/none.tar.zst', cores: 1, memory: 512, disk: 4 }, 422, 'validation'],
			['POST', '/api/environments', '{not json', 400, 'bad_request'],
			['POST', '/api/environments', '[1,2]', 400, 'bad_request'],
			['POST', '/api/environments', JSON.stringify({ hostname: 'x'.repeat(20_000) }), 413, 'payload_too_large'],
			['GET', '/api/environments/env-doesnotexist', undefined, 404, 'not_found'],
			['POST', '/api/environments/env-doesnotexist/start', undefined, 404, 'not_found'],
			['DELETE', '/api/environments/env-doesnotexist', undefined, 404, 'not_found'],
			['GET', '/api/templates?node=$(id)', undefined, 400, 'bad_request']
		];
		for (const [method, path, body, status, code] of cases) {
			const res = await api(method, path, body);
			const json = (await res.json()) as { error: string; code: string };
			expect([method, path, res.status, json.code]).toEqual([method, path, status, code]);
			expect(json.error.length).toBeGreaterThan(5);
			expect(json.error).not.toMatch(/\bat .+:\d+:\d+/);
		}
		// A body that is not declared as JSON (what a cross-site form could send) is refused.
		const plain = await fetch(`${spyre.url}/api/environments`, {
			method: 'POST',
			headers: { cookie, 'content-type': 'text/plain', origin: spyre.url },
			body: JSON.stringify({ hostname: 'sneaky', template: TEMPLATE, cores: 1, memory: 512, disk: 4 })
		});
		expect(plain.status).toBe(400);
		expect(await plain.json()).toMatchObject({ code: 'bad_request' });
		const unauth = await api('GET', '/api/environments', undefined, false);
		expect(unauth.status).toBe(401);
		expect(await unauth.json()).toMatchObject({ code: 'unauthenticated' });
	});

	it('a second action while one runs is a 409 that names the running one', async () => {
		const stop = await api('POST', `/api/environments/${id}/stop`);
		expect(stop.status).toBe(202);
		const again = await api('POST', `/api/environments/${id}/start`);
		expect(again.status).toBe(409);
		expect(((await again.json()) as { error: string }).error).toMatch(/busy \(stop\)/);
		await waitForStatus(id, ['stopped']);
	});

	it('a Spyre restart during a create leaves a truthful state: the run is interrupted, the create resumed', async () => {
		// Slow Proxmox down so the create is still in flight when Spyre stops.
		await control(sim.simJson, { latencyMs: 300 });
		const res = await api('POST', '/api/environments', { hostname: 'api-restart', template: TEMPLATE, cores: 1, memory: 512, disk: 4 });
		expect(res.status).toBe(202);
		const { id: rid } = (await res.json()) as { id: string };
		await new Promise((r) => setTimeout(r, 1200));
		const stopped = await spyre.stop({ keepData: true });
		expect(stopped.code).toBe(0);
		expect(stopped.durationMs).toBeLessThan(5000);
		await control(sim.simJson, { latencyMs: 0 });

		spyre = await startSpyre({ mode: 'built', reuse: spyre });
		cookie = await setupAdmin(spyre.url, 'admin', 'correct-horse-battery').catch(async () => {
			const { login } = await import('../helpers/spyre');
			return login(spyre.url, 'admin', 'correct-horse-battery');
		});
		const env = await waitForStatus(rid, ['running', 'error']);
		expect(env).toMatchObject({ hostname: 'api-restart', status: 'running' });
		const run = (await (await api('GET', `/api/environments/${rid}/run`)).json()) as { run: { status: string; events: Array<{ message: string }> } };
		expect(run.run.status).toBe('succeeded');
		expect(run.run.events.map((e) => e.message).join('\n')).toMatch(/Resuming after a Spyre restart/);
	});
});
