// The same /api/events socket against `vite dev`: the dev plugin must route Spyre's socket paths to the
// same module graph as the routes (an admin created through /setup in dev can open the socket with that
// cookie), and leave Vite's own HMR socket alone.

import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, openEvents, setupAdmin, startSpyre, upgradeStatus, type RunningSpyre } from '../helpers/spyre';
import { SESSION_COOKIE } from '../../src/lib/server/auth/session-cookie';

describe('vite dev server', () => {
	let spyre: RunningSpyre;
	let cookie = '';

	beforeAll(async () => {
		spyre = await startSpyre({ mode: 'dev' });
	});

	afterAll(async () => {
		await spyre?.stop();
	});

	it('/healthz answers and first boot redirects to /setup', async () => {
		const health = await get(spyre.url, '/healthz');
		expect(health.status).toBe(200);
		expect(await health.json()).toEqual({ status: 'ok' });
		const root = await get(spyre.url, '/');
		expect(root.status).toBe(303);
		expect(root.headers.get('location')).toBe('/setup');
	});

	it('refuses the events socket without a cookie (401), with a forged one (401), from a bad Origin (403)', async () => {
		expect(await upgradeStatus(spyre.url, null)).toBe(401);
		expect(await upgradeStatus(spyre.url, `${SESSION_COOKIE}=${crypto.randomBytes(32).toString('base64url')}`)).toBe(401);
		expect(await upgradeStatus(spyre.url, null, { origin: 'https://evil.example.com' })).toBe(403);
	});

	it('a cookie from /setup in dev opens the socket (shared module graph and DB)', async () => {
		cookie = await setupAdmin(spyre.url, 'admin', 'dev-server-pass-1');
		expect(await upgradeStatus(spyre.url, null, { origin: 'https://evil.example.com' })).toBe(403);
		expect(await upgradeStatus(spyre.url, cookie, { origin: 'https://evil.example.com' })).toBe(403);
		const ev = await openEvents(spyre.url, cookie);
		expect(await ev.waitFor((m) => m.type === 'hello', 10_000)).toEqual({ type: 'hello', seq: expect.any(Number) });
		ev.close();
		await ev.closed;
	});

	it('replays what a reconnecting client missed', async () => {
		const first = await openEvents(spyre.url, cookie);
		const hello = await first.waitFor((m) => m.type === 'hello');
		first.close();
		await first.closed;

		const db = new Database(spyre.dbPath);
		let seqs: number[];
		try {
			const insert = db.prepare('INSERT INTO server_events (ts, type, payload) VALUES (?, ?, ?)');
			seqs = ['a', 'b', 'c'].map((x) => Number(insert.run(Date.now(), 'test.dev', JSON.stringify(x)).lastInsertRowid));
		} finally {
			db.close();
		}

		const again = await openEvents(spyre.url, cookie, hello.seq);
		await again.waitFor((m) => m.type === 'hello');
		expect(again.messages.map((m) => [m.seq, m.type, m.data])).toEqual([
			[seqs[0], 'test.dev', 'a'],
			[seqs[1], 'test.dev', 'b'],
			[seqs[2], 'test.dev', 'c'],
			[seqs[2], 'hello', undefined]
		]);
		again.close();
		await again.closed;
	});

	it("leaves Vite's HMR socket alone", async () => {
		// Vite's HMR socket needs the token it embeds in its client script.
		const client = await (await get(spyre.url, '/@vite/client')).text();
		const token = /const wsToken = "([^"]+)"/.exec(client)?.[1];
		expect(token).toBeTruthy();
		const ws = new WebSocket(`ws://127.0.0.1:${spyre.port}/?token=${token}`, 'vite-hmr', { origin: spyre.url });
		ws.on('error', () => {});
		const first = await new Promise<string>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('no HMR message within 10 s')), 10_000);
			ws.once('message', (data) => {
				clearTimeout(timer);
				resolve(data.toString());
			});
			ws.once('unexpected-response', (_req, res) => reject(new Error(`HMR upgrade refused: ${res.statusCode}`)));
		});
		expect(JSON.parse(first)).toMatchObject({ type: 'connected' });
		ws.close();
	});

	it('stops on SIGTERM', async () => {
		const result = await spyre.stop();
		// Vite's own SIGTERM handler closes the server and exits with 128 + 15.
		expect(result.signal === 'SIGTERM' || result.code === 0 || result.code === 143).toBe(true);
		expect(result.durationMs).toBeLessThan(8000);
	});
});
