// Notifications end to end: a Claude task that ends (the REAL CLI in a simulator CT, the fake Messages API
// through Spyre's broker, as in claude-tasks.test.ts) produces one webhook delivery with the right body,
// received by a local HTTP receiver this test starts on 127.0.0.1 (never anything else); a receiver that
// fails twice then answers gets 3 attempts, recorded; one that always fails shows as failed in the
// settings view (what GET /api/settings/notifications answers). Spyre's modules run in this process.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropicFor, type FakeAnthropic } from '../helpers/fake-anthropic';
import { installClaudeInCt } from '../helpers/claude-cli';
import { startSim, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import type { DeliveryView } from '../../src/lib/shared/types/notify';
import { TEST_TEMPLATE } from '../helpers/templates';

const API_KEY = 'sk-ant-api03-spyretestkey0000000000';
const TEMPLATE = TEST_TEMPLATE;
const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };
// The real policy's shape with short waits, so a test of three attempts takes well under a second.
const FAST = { attempts: 3, timeoutMs: 3000, baseDelayMs: 100, maxDelayMs: 400 };

interface Receiver {
	url: string;
	bodies: Array<Record<string, unknown>>;
	/** Status to answer, request by request; the last one repeats. */
	plan: number[];
	close(): Promise<void>;
}

async function startReceiver(plan: number[]): Promise<Receiver> {
	const r = { bodies: [] as Array<Record<string, unknown>>, plan } as Receiver;
	const server = http.createServer((req, res) => {
		let text = '';
		req.on('data', (c) => (text += c));
		req.on('end', () => {
			r.bodies.push(JSON.parse(text));
			res.writeHead(r.plan[Math.min(r.bodies.length - 1, r.plan.length - 1)]).end();
		});
	});
	await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
	r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/spyre-topic`;
	r.close = () => new Promise((ok) => (server.closeAllConnections(), server.close(() => ok())));
	return r;
}

let data: TestDataDir;
let sim: RunningSim | undefined;
let fake: FakeAnthropic | undefined;
let notify: typeof import('../../src/lib/server/notify');
const receivers: Receiver[] = [];

async function delivery(id: number, timeoutMs = 15_000): Promise<DeliveryView> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const d = notify.settingsView().deliveries.find((x) => x.id === id);
		if (d && d.status !== 'pending') return d;
		if (Date.now() > end) throw new Error(`delivery ${id} still ${d?.status ?? 'missing'} after ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

beforeAll(async () => {
	sim = await startSim();
	fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
	// A monthly budget the first task's one call exceeds: the second task's call is refused (a budget notice).
	data = await makeDataDir({ simJson: sim.simJson, config: { claude: { api_base_url: fake.url, monthly_budget_usd: 0.000001 } } });
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	notify = await import('../../src/lib/server/notify');
	notify.startNotifier(FAST);
}, 60_000);

afterAll(async () => {
	await notify?.stopNotifier();
	for (const r of receivers) await r.close();
	(await import('../../src/lib/server/db')).closeDb();
	await sim?.stop();
	await fake?.stop();
	data?.remove();
});

describe('webhook deliveries', () => {
	it('refuses a URL that is not http(s), audited, and shows only the origin of a stored one', async () => {
		await expect(notify.setWebhook('file:///etc/passwd', actor)).rejects.toMatchObject({ code: 'validation' });
		const r = await startReceiver([200]);
		receivers.push(r);
		const view = await notify.setWebhook(r.url, actor);
		expect(view.webhook).toBe(`${new URL(r.url).origin}/…`);
		const audit = (await import('../../src/lib/server/audit')).recent(5).filter((e) => e.action === 'notify.webhook');
		expect(audit.map((e) => e.outcome)).toEqual(['success', 'failure']);
		expect(audit.map((e) => e.detail).join(' ')).not.toContain('spyre-topic');
	});

	it('a receiver that fails twice then succeeds: 3 attempts, recorded delivered', async () => {
		const r = await startReceiver([503, 500, 204]);
		receivers.push(r);
		await notify.setWebhook(r.url, actor);
		const d = await delivery(await notify.sendTest(actor));
		expect(d).toMatchObject({ status: 'delivered', attempts: 3, httpStatus: 204, error: null, kind: 'test' });
		expect(r.bodies).toHaveLength(3);
		expect(r.bodies[0]).toMatchObject({ kind: 'test', title: 'Spyre test notification', topic: 'spyre-topic' });
	});

	it('a receiver that always fails: 3 attempts, then failed with its answer, visible in the settings view', async () => {
		const r = await startReceiver([502]);
		receivers.push(r);
		await notify.setWebhook(r.url, actor);
		const id = await notify.sendTest(actor);
		const d = await delivery(id);
		expect(d).toMatchObject({ status: 'failed', attempts: 3, httpStatus: 502, error: 'HTTP 502' });
		expect(r.bodies).toHaveLength(3);
		expect(notify.settingsView().deliveries[0]).toMatchObject({ id, status: 'failed' });
	});

	it('a refused request (4xx) is not retried', async () => {
		const r = await startReceiver([404]);
		receivers.push(r);
		await notify.setWebhook(r.url, actor);
		expect(await delivery(await notify.sendTest(actor))).toMatchObject({ status: 'failed', attempts: 1, httpStatus: 404 });
	});
});

describe('a Claude task that ends', () => {
	it('produces one webhook delivery with the right body; a budget refusal and a refused credential produce their own', async () => {
		const r = await startReceiver([200]);
		receivers.push(r);
		await notify.setWebhook(r.url, actor);
		const environments = await import('../../src/lib/server/environments');
		const bridge = await import('../../src/lib/server/claude/tasks/bridge');
		const auth = await import('../../src/lib/server/claude/auth');
		try {
			const row = await environments.createEnvironment({ hostname: 'notify-1', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, actor);
			await environments.settled(row.id);
			const env = environments.getEnvironment(row.id)!;
			expect(env.status).toBe('running');
			await installClaudeInCt(data.privateKey, env.ip!, sim!.simJson.sshPort);
			expect((await auth.saveApiKey(API_KEY, actor)).state).toBe('authenticated');
			const t = await bridge.dispatch(row.id, { prompt: 'Say hello [[say: a secret-looking reply sk-ant-xyz]]', options: { snapshot: false } }, actor);
			const end = Date.now() + 60_000;
			while (r.bodies.length === 0 && Date.now() < end) await new Promise((ok) => setTimeout(ok, 100));
			const done = bridge.taskView(t.id);
			expect(done.status, done.error ?? '').toBe('succeeded');
			await notify.notifierIdle();
			expect(r.bodies).toHaveLength(1);
			const url = `http://127.0.0.1:${data.port}/claude/sessions/${t.id}`;
			expect(r.bodies[0]).toMatchObject({
				kind: 'task.succeeded',
				title: 'Claude task finished on notify-1',
				url,
				click: url,
				taskId: t.id,
				environmentId: row.id,
				topic: 'spyre-topic'
			});
			expect(r.bodies[0].message).toMatch(new RegExp(`^Task ${t.id} finished \\(1 turn, \\$[0-9.]+ measured\\)\\.$`));
			expect(r.bodies[0].text).toBe(`${r.bodies[0].title}: ${r.bodies[0].message} ${url}`);
			// Only Spyre's words: neither the prompt nor what the task wrote, nor the API key.
			const raw = JSON.stringify(r.bodies[0]);
			for (const secret of ['sk-ant', 'Say hello', API_KEY]) expect(raw).not.toContain(secret);
			const last = notify.settingsView().deliveries[0];
			expect(last).toMatchObject({ kind: 'task.succeeded', status: 'delivered', attempts: 1, httpStatus: 200 });

			// The month's budget is now used up: the next task's call is refused, and the owner is told twice
			// (the refusal, then the task's end), each one delivery.
			const refused = await bridge.dispatch(row.id, { prompt: 'Say hello again', options: { snapshot: false } }, actor);
			const until = Date.now() + 60_000;
			while (r.bodies.length < 3 && Date.now() < until) await new Promise((ok) => setTimeout(ok, 100));
			await notify.notifierIdle();
			expect(r.bodies.slice(1).map((b) => b.kind)).toEqual(['task.budget', bridge.taskView(refused.id).status === 'failed' ? 'task.failed' : 'task.succeeded']);
			expect(r.bodies[1]).toMatchObject({ title: 'Claude budget reached on notify-1', taskId: refused.id });
			expect(r.bodies[1].message).toMatch(/this month's Claude budget of \$0\.0000 is used up/);

			// Anthropic stops accepting the key: the health check records the rejection and the owner is told
			// once (a second check that sees the same rejection says nothing new).
			fake!.acceptKeys.clear();
			fake!.acceptKeys.add('sk-ant-api03-someotherkey000000000000');
			await auth.recheckCredential();
			await auth.recheckCredential();
			const until2 = Date.now() + 15_000;
			while (r.bodies.length < 4 && Date.now() < until2) await new Promise((ok) => setTimeout(ok, 100));
			await new Promise((ok) => setTimeout(ok, 300));
			await notify.notifierIdle();
			expect(r.bodies.slice(3).map((b) => b.kind)).toEqual(['claude.reauth']);
			expect(r.bodies[3]).toMatchObject({ title: 'Claude needs you to sign in again', url: `http://127.0.0.1:${data.port}/settings/claude` });
			expect(JSON.stringify(r.bodies[3])).not.toContain(API_KEY);
		} finally {
			await bridge.stopFollowing();
			await environments.settleAll();
			await (await import('../../src/lib/server/ssh')).closeSshPool();
		}
	}, 180_000);
});
