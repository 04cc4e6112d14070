// Secrets stay on the server: a full flow (first boot, sign-in, create an environment on the simulator,
// live events, a terminal, windows, every page and GET API with real ids, sign-out) with every response,
// event and terminal byte captured, plus the server's own log. None of them may contain the Proxmox token
// secret, Spyre's private key, a password hash, a session token's hash or the password itself.
// Also: a terminal socket does not outlive its session.

import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEnvironment, type Api } from '../helpers/environments';
import { startSim, type RunningSim } from '../helpers/sim';
import { login, openEvents, postForm, setupAdmin, startSpyre, type EventsClient, type RunningSpyre } from '../helpers/spyre';
import { fillRoute, raw, walkRoutes } from './surface';
import { TEST_TEMPLATE } from '../helpers/templates';

const ADMIN = 'admin';
const PASSWORD = 'secrets-password-1';
const TEMPLATE = TEST_TEMPLATE;

let sim: RunningSim;
let spyre: RunningSpyre;
let cookie: string;
let origin: string;
let envId = '';
const captured: Array<{ what: string; text: string }> = [];

async function capture(what: string, pathname: string, init: { method?: string; body?: string; type?: string } = {}) {
	const res = await raw(spyre.url, pathname, {
		method: init.method ?? 'GET',
		headers: { cookie, origin, ...(init.body !== undefined ? { 'content-type': init.type ?? 'application/json' } : {}) },
		body: init.body
	});
	captured.push({ what: `${what} (${res.status})`, text: JSON.stringify(res.headers) + '\n' + res.body });
	return res;
}

/** The environment helpers' requests, captured like every other answer. */
const capturingApi: Api = async (method, pathname, body) => {
	const res = await capture(`${method} ${pathname}`, pathname, { method, body: body === undefined ? undefined : JSON.stringify(body) });
	return new Response(res.body, { status: res.status });
};

beforeAll(async () => {
	sim = await startSim();
	spyre = await startSpyre({ simJson: sim.simJson });
	origin = new URL(spyre.url).origin;
	cookie = await setupAdmin(spyre.url, ADMIN, PASSWORD);
}, 120_000);

afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

function openTerminal(id: string, c: string): Promise<{ ws: WebSocket; data: string[]; closed: Promise<number> }> {
	const u = new URL(`/api/terminal/${id}?cols=80&rows=24`, spyre.url);
	u.protocol = 'ws:';
	const ws = new WebSocket(u, { headers: { cookie: c }, origin });
	const data: string[] = [];
	ws.on('message', (m) => data.push(m.toString()));
	ws.on('error', () => {});
	const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
	return new Promise((resolve, reject) => {
		ws.once('open', () => resolve({ ws, data, closed }));
		ws.once('unexpected-response', (_q, res) => reject(new Error(`terminal upgrade refused: ${res.statusCode}`)));
	});
}

describe('a full flow leaks no secret', () => {
	let events: EventsClient;

	it('drives the app: environment, events, terminal, windows, every page and GET API', async () => {
		events = await openEvents(spyre.url, cookie, 0);
		const created = await capture('create', '/api/environments', {
			method: 'POST',
			body: JSON.stringify({ hostname: 'sec-flow', template: TEMPLATE, cores: 1, memory: 512, disk: 4 })
		});
		expect(created.status).toBeLessThan(300);
		envId = (JSON.parse(created.body) as { id: string }).id;
		await waitForEnvironment(capturingApi, envId, { timeoutMs: 60_000 });
		const term = await openTerminal(envId, cookie);
		const ready = Date.now() + 15_000;
		while (!/"connected"[\s\S]*# /.test(term.data.join('')) && Date.now() < ready) await new Promise((r) => setTimeout(r, 100));
		await new Promise((r) => setTimeout(r, 300));
		term.ws.send(Buffer.from('echo sec-flow-$((6*7))\r'));
		const until = Date.now() + 10_000;
		while (!term.data.join('').includes('sec-flow-42') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
		expect(term.data.join('')).toContain('sec-flow-42');
		await capture('new window', `/api/environments/${envId}/windows`, { method: 'POST', body: JSON.stringify({ name: 'second' }) });
		await capture('rename', `/api/environments/${envId}/windows/1`, { method: 'PATCH', body: JSON.stringify({ name: 'renamed' }) });
		term.ws.close();
		captured.push({ what: 'terminal bytes', text: term.data.join('') });
		for (const e of walkRoutes().filter((x) => x.method === 'GET')) {
			await capture(`GET ${e.id}`, fillRoute(e.id, (p) => (p === 'id' ? envId : p === 'index' ? '0' : 'default')).path);
		}
		await capture('stop', `/api/environments/${envId}/stop`, { method: 'POST' });
		await new Promise((r) => setTimeout(r, 1000));
		captured.push({ what: 'events', text: JSON.stringify(events.messages) });
		events.close();
		const out = await postForm(spyre.url, '/logout', {}, { cookie });
		expect(out.status).toBe(303);
		expect(captured.length).toBeGreaterThan(15);
	});

	it('no response, event, page, terminal byte or log line contains a secret', async () => {
		const db = new Database(spyre.dbPath, { readonly: true });
		const hashes = (db.prepare('SELECT password_hash AS h FROM users').all() as Array<{ h: string }>).map((r) => r.h);
		db.close();
		const key = fs.readFileSync(path.join(spyre.dataDir, 'ssh', 'id_ed25519'), 'utf8');
		const keyLines = key.split('\n').filter((l) => l.length >= 20 && !l.startsWith('-----'));
		const token = cookie.split('=')[1];
		const secrets: Array<[string, string]> = [
			['Proxmox token secret', sim.simJson.tokenSecret],
			['admin password', PASSWORD],
			['session token hash', crypto.createHash('sha256').update(token).digest('hex')],
			['private key header', 'PRIVATE KEY-----'],
			...hashes.map((h) => ['password hash', h] as [string, string]),
			...hashes.map((h) => ['password hash salt', h.slice(7, 29)] as [string, string]),
			...keyLines.map((l) => ['private key line', l] as [string, string])
		];
		expect(secrets.length).toBeGreaterThan(5);
		const { stdout, stderr } = spyre.output();
		const haystacks = [...captured, { what: 'server stdout', text: stdout }, { what: 'server stderr', text: stderr }];
		for (const [name, secret] of secrets) {
			expect(secret.length, name).toBeGreaterThan(8);
			for (const h of haystacks) expect(h.text.includes(secret), `${name} in ${h.what}`).toBe(false);
		}
		// The session cookie itself appears only in the Set-Cookie of sign-in, never in a body.
		for (const h of captured) expect(h.text.includes(token), `session token in ${h.what}`).toBe(false);
	});
});

describe('a terminal socket does not outlive its session', () => {
	it('signing out closes the open terminal with 4401', async () => {
		cookie = await login(spyre.url, ADMIN, PASSWORD);
		await capture('start', `/api/environments/${envId}/start`, { method: 'POST' });
		await waitForEnvironment(capturingApi, envId, { timeoutMs: 60_000 });
		const term = await openTerminal(envId, cookie);
		const until = Date.now() + 10_000;
		while (!term.data.some((d) => d.includes('"ready"')) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
		expect((await postForm(spyre.url, '/logout', {}, { cookie })).status).toBe(303);
		expect(await term.closed).toBe(4401);
	});
});
