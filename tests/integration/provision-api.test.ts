// Provisioning through the built server's HTTP API and live events, including a Spyre restart in the middle
// of a run: the run is recorded as interrupted, the environment shows the step it stopped in, and Retry
// resumes from that step.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type RunningSim } from '../helpers/sim';
import { openEvents, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { waitFor } from '../helpers/wait';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
let sim: RunningSim;
let spyre: RunningSpyre;
let cookie: string;

function api(method: string, pathname: string, body?: unknown) {
	return fetch(`${spyre.url}${pathname}`, {
		method,
		headers: { origin: spyre.url, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
}

function writeConfig(name: string, scripts: string): void {
	const dir = path.join(spyre.dataDir, 'configs');
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(
		path.join(dir, `${name}.yaml`),
		`apiVersion: spyre/v1
kind: Environment
metadata: { name: ${name} }
spec:
  platform: { template: ${TEMPLATE}, cores: 1, memory: 512, disk: 4 }
  provision:
    files:
      - path: /etc/spyre-api-test
        content: "built by the api test\\n"
    scripts:
${scripts}`
	);
}

async function runOf(id: string) {
	const res = await api('GET', `/api/environments/${id}/run`);
	return ((await res.json()) as { run: unknown }).run as {
		id: number;
		status: string;
		step: string | null;
		configName: string | null;
		configSnapshot: string | null;
		events: Array<{ kind: string; step: string | null; message: string }>;
	};
}

beforeAll(async () => {
	sim = await startSim();
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson });
	cookie = await setupAdmin(spyre.url, 'admin', 'correct-horse-battery');
}, 60_000);

afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

describe('provisioning over the API', () => {
	it('refuses bad requests with JSON errors where the form shows them', async () => {
		let res = await api('POST', '/api/environments/provision', { hostname: 'x' });
		expect(res.status).toBe(422);
		expect(((await res.json()) as { fields: Record<string, string> }).fields.config).toBeTruthy();
		res = await api('POST', '/api/environments/provision', { config: '../../etc/passwd', hostname: 'x' });
		expect(res.status).toBe(422);
		res = await api('POST', '/api/environments/provision', { config: 'nope', hostname: 'x' });
		expect(res.status).toBe(404);
		res = await api('POST', '/api/environments/provision', { config: 'dev-web', hostname: 'NOT A HOST;' });
		expect(res.status).toBe(422);
		expect(((await res.json()) as { fields: Record<string, string> }).fields.hostname).toBeTruthy();
		res = await api('POST', '/api/environments/env-nope/retry', {});
		expect(res.status).toBe(404);
	});

	it('survives a Spyre restart mid-run: the run is interrupted, retry resumes at the step it stopped in', async () => {
		writeConfig(
			'api-restart',
			`      - name: first
        run: echo first >> /root/first.log
      - name: slow
        run: |
          if [ -e /root/slow-once ]; then echo resumed; exit 0; fi
          touch /root/slow-once
          echo slow-started
          sleep 120
`
		);
		const events = await openEvents(spyre.url, cookie);
		const res = await api('POST', '/api/environments/provision', { config: 'api-restart', hostname: 'api-restart-1' });
		expect(res.status).toBe(202);
		const { id } = (await res.json()) as { id: string };
		try {
			// The script itself is running (not just its step announced) when Spyre goes down.
			await events.waitFor((m) => m.type === 'env.log' && (m.data as { message: string }).message === 'slow-started', 90_000);
		} finally {
			events.close();
		}
		const first = await runOf(id);
		expect(first.configName).toBe('api-restart');
		expect(first.configSnapshot).toContain('api-restart');

		const stopped = await spyre.stop({ keepData: true });
		expect(stopped.code).not.toBeNull();
		spyre = await startSpyre({ mode: 'built', reuse: spyre });
		cookie = await setupAdmin(spyre.url, 'admin', 'correct-horse-battery').catch(async () => {
			const { login } = await import('../helpers/spyre');
			return login(spyre.url, 'admin', 'correct-horse-battery');
		});
		const env = await waitFor(
			async () => (await (await api('GET', `/api/environments/${id}`)).json()) as { status: string; error: string | null; errorStep: string | null },
			(e) => e.status === 'error'
		);
		expect(env.error).toMatch(/restarted while provisioning \(step script:slow\)/);
		expect((await runOf(id)).status).toBe('interrupted');

		const retry = await api('POST', `/api/environments/${id}/retry`, {});
		expect(retry.status).toBe(202);
		const done = await waitFor(
			() => runOf(id),
			(r) => r.status !== 'running',
			120_000
		);
		expect(done.status).toBe('succeeded');
		expect(done.events.filter((e) => e.kind === 'step').map((e) => e.step)).toEqual(['script:slow', 'done']);
		expect(done.events.some((e) => e.message === 'resumed')).toBe(true);
		const after = (await (await api('GET', `/api/environments/${id}`)).json()) as { status: string };
		expect(after.status).toBe('running');

		// The retry did not erase the interrupted attempt: it is still readable by id, with its log.
		const earlier = ((await (await api('GET', `/api/environments/${id}/run?run=${first.id}`)).json()) as { run: Awaited<ReturnType<typeof runOf>> }).run;
		expect(earlier).toMatchObject({ id: first.id, status: 'interrupted' });
		expect(earlier.events.some((e) => e.message === 'slow-started')).toBe(true);
		const newestProvision = (await (await api('GET', `/api/environments/${id}/run?kind=provision`)).json()) as { run: { id: number } };
		expect(newestProvision.run.id).toBe(done.id);
		expect((await api('GET', `/api/environments/${id}/run?kind=bogus`)).status).toBe(422);

		// Nothing runs now: cancel says so.
		expect((await api('POST', `/api/environments/${id}/cancel`)).status).toBe(409);
		const destroy = await api('DELETE', `/api/environments/${id}`);
		expect(destroy.status).toBe(202);
		await waitFor(
			async () => (await api('GET', `/api/environments/${id}`)).status,
			(s) => s === 404
		);
	}, 240_000);
});
