// Claude Code authentication end to end against the built server and the login stand-in CLI
// (tests/fixtures/claude-login-standin.mjs; the real OAuth servers cannot be faked): every transition,
// relay by stdin (`code#state`) and by the CLI's localhost listener, the public callback (matching state
// once, nothing else), cancel killing the process group, the abandonment timeout, orphans of a crashed
// Spyre killed at start-up, and the token never in argv, logs, responses or the file on disk.
// Needs `npm run build` first.

import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, get, login, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';

const STANDIN = path.join(REPO_ROOT, 'tests', 'fixtures', 'claude-login-standin.mjs');
const tokenFor = (code: string) =>
	'sk-ant-oat01-' +
	crypto
		.createHash('sha256')
		.update('standin:' + code)
		.digest('base64url');
const markerOf = (dataDir: string) => crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);

interface View {
	state: string;
	method: string | null;
	hasCredential: boolean;
	expiresAt: number | null;
	lastError: string | null;
	authorizeUrl: string | null;
	localhostAuthorizeUrl: string | null;
	cliVersion: string | null;
	/** When the health check last ran (ms). */
	checkedAt: number | null;
}

/** Every response body the tests saw, to prove no secret ever left the server. */
const bodies: string[] = [];
const issued: string[] = [];

/** Running (a zombie waiting for its reaper, e.g. a container's PID 1, has stopped running). */
function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
	} catch {
		return false;
	}
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return false;
	}
}

/** Processes carrying this Spyre's login marker: the CLI and whatever it started. */
function flowPids(dataDir: string): number[] {
	const needle = `\0SPYRE_CLAUDE_AUTH_OWNER=${markerOf(dataDir)}\0`;
	return fs
		.readdirSync('/proc')
		.filter((n) => /^\d+$/.test(n))
		.filter((n) => {
			try {
				return ('\0' + fs.readFileSync(`/proc/${n}/environ`, 'latin1') + '\0').includes(needle);
			} catch {
				return false;
			}
		})
		.map(Number);
}

function allArgv(): string {
	let all = '';
	for (const n of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(n)) continue;
		try {
			all += fs.readFileSync(`/proc/${n}/cmdline`, 'latin1') + '\n';
		} catch {
			// gone
		}
	}
	return all;
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 10_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

function client(spyre: RunningSpyre, cookie: string) {
	const origin = new URL(spyre.url).origin;
	const send = async (method: string, pathname: string, body?: unknown, opts: { cookie?: string | null } = {}) => {
		const headers: Record<string, string> = { origin };
		const c = opts.cookie === undefined ? cookie : opts.cookie;
		if (c) headers.cookie = c;
		if (body !== undefined) headers['content-type'] = 'application/json';
		const res = await fetch(new URL(pathname, spyre.url), { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), redirect: 'manual' });
		const text = await res.text();
		bodies.push(text);
		let json: Record<string, unknown> = {};
		try {
			json = JSON.parse(text);
		} catch {
			// text answers
		}
		return { status: res.status, text, json, headers: res.headers };
	};
	const status = async () => (await send('GET', '/auth/claude/status')).json as unknown as View;
	const waitFor = (pred: (v: View) => boolean, what: string, ms?: number) =>
		until(
			what,
			async () => {
				const v = await status();
				return pred(v) ? v : null;
			},
			ms
		);
	return { send, status, waitFor };
}

function stateOf(url: string): string {
	return new URL(url).searchParams.get('state')!;
}

function logRows(dbPath: string): Array<{ event: string; from_state: string | null; to_state: string | null; detail: string | null }> {
	const db = new Database(dbPath, { readonly: true });
	try {
		return db.prepare('SELECT event, from_state, to_state, detail FROM claude_auth_log ORDER BY id').all() as never;
	} finally {
		db.close();
	}
}

describe('the login stand-in itself', () => {
	it('prints nothing for setup-token on a pipe, like the real CLI', async () => {
		const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
			execFile(process.execPath, [STANDIN, 'setup-token'], { timeout: 5000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: stdout + stderr }));
		});
		expect(r.out).toBe('');
		expect(r.code).toBe(1);
	});
});

describe('Claude authentication on the built server', () => {
	let spyre: RunningSpyre;
	let api: ReturnType<typeof client>;
	let anon: ReturnType<typeof client>;

	beforeAll(async () => {
		spyre = await startSpyre({ config: { claude: { cli_path: STANDIN } }, env: { SPYRE_POLL_MS: '0', SPYRE_CLAUDE_HEALTH_MS: '500' } });
		const cookie = await setupAdmin(spyre.url, 'admin', 'integration-pass-1');
		api = client(spyre, cookie);
		anon = client(spyre, '');
	});

	afterAll(async () => {
		const result = await spyre?.stop();
		// Nothing Spyre printed or answered may hold an issued token.
		for (const token of issued) {
			expect(result?.stdout ?? '').not.toContain(token);
			expect(result?.stderr ?? '').not.toContain(token);
			for (const b of bodies) expect(b).not.toContain(token);
		}
		for (const b of bodies) expect(b).not.toMatch(/sk-ant-(oat|ort|api)\d+-[A-Za-z0-9_-]{8}/);
	});

	it('starts idle and answers nothing without a session', async () => {
		const v = await api.status();
		expect(v.state).toBe('idle');
		expect(v.hasCredential).toBe(false);
		expect(v.cliVersion ?? (await api.waitFor((x) => !!x.cliVersion, 'CLI version')).cliVersion).toContain('stand-in');
		expect((await anon.send('GET', '/auth/claude/status', undefined, { cookie: null })).status).toBe(303);
		for (const p of ['start', 'relay', 'cancel', 'api-key', 'sign-out']) {
			// Outside /api/, the gate sends anonymous callers to sign in, before any route code runs.
			const r = await anon.send('POST', `/auth/claude/${p}`, {}, { cookie: null });
			expect(r.status, p).toBe(303);
			expect(r.headers.get('location')).toMatch(/^\/login\?next=/);
		}
		const cb = await get(spyre.url, '/auth/claude/callback?code=abc&state=xyz');
		expect(cb.status).toBe(400);
	});

	it('signs in with setup-token through stdin, refusing bad pastes first', async () => {
		const started = await api.send('POST', '/auth/claude/start', { flow: 'setup_token' });
		expect(started.status).toBe(200);
		expect(['starting', 'waiting']).toContain(started.json.state);
		expect((await api.send('POST', '/auth/claude/start', {})).status).toBe(409);

		const waiting = await api.waitFor((v) => v.state === 'waiting', 'waiting');
		expect(waiting.authorizeUrl).toMatch(/^https:\/\/claude\.com\/cai\/oauth\/authorize\?/);
		expect(waiting.localhostAuthorizeUrl).toMatch(/redirect_uri=http%3A%2F%2Flocalhost%3A\d+%2Fcallback/);
		const state = stateOf(waiting.authorizeUrl!);
		const port = Number(new URL(new URL(waiting.localhostAuthorizeUrl!).searchParams.get('redirect_uri')!).port);
		expect(flowPids(spyre.dataDir).length).toBeGreaterThanOrEqual(2);

		const noHash = await api.send('POST', '/auth/claude/relay', { code: 'justacode' });
		expect(noHash.status).toBe(422);
		expect(noHash.json.error).toMatch(/CODE#STATE/);
		const wrongState = await api.send('POST', '/auth/claude/relay', { code: 'abc#not-the-state' });
		expect(wrongState.status).toBe(422);
		expect(wrongState.json.error).toMatch(/state does not match/);
		const huge = await api.send('POST', '/auth/claude/relay', JSON.stringify({ code: 'x'.repeat(100 * 1024) + '#' + state }));
		expect(huge.status).toBe(413);
		const otherPort = await api.send('POST', '/auth/claude/relay', { code: `http://localhost:${port + 1}/callback?code=a&state=${state}` });
		expect(otherPort.status).toBe(422);
		const otherHost = await api.send('POST', '/auth/claude/relay', { code: `http://example.com:${port}/callback?code=a&state=${state}` });
		expect(otherHost.status).toBe(422);
		expect((await api.status()).state).toBe('waiting');

		issued.push(tokenFor('stdin-code-1'));
		const relayed = await api.send('POST', '/auth/claude/relay', { code: `stdin-code-1#${state}` });
		expect(relayed.status).toBe(200);
		const done = await api.waitFor((v) => v.state === 'authenticated', 'authenticated');
		expect(done.method).toBe('setup_token');
		expect(done.hasCredential).toBe(true);
		expect(done.expiresAt! - Date.now()).toBeGreaterThan(360 * 86_400_000);
		await until('flow processes gone', () => flowPids(spyre.dataDir).length === 0);

		// The state was used once: replaying it, with or without a session, does nothing.
		expect((await get(spyre.url, `/auth/claude/callback?code=again&state=${encodeURIComponent(state)}`)).status).toBe(400);
		expect((await api.send('POST', '/auth/claude/relay', { code: `again#${state}` })).status).toBe(409);

		const rows = logRows(spyre.dbPath);
		expect(rows.map((r) => r.to_state)).toEqual(['starting', 'waiting', 'verifying', 'authenticated']);
		expect(rows.map((r) => r.event)).toEqual(['login_started', 'url_captured', 'code_submitted', 'login_succeeded']);
	});

	it('keeps the token encrypted on disk, out of argv and off the page', async () => {
		const token = issued[0];
		const dir = path.join(spyre.dataDir, 'claude-auth');
		for (const f of fs.readdirSync(dir)) {
			const p = path.join(dir, f);
			if (!fs.statSync(p).isFile()) continue;
			expect(fs.statSync(p).mode & 0o777).toBe(0o600);
			expect(fs.readFileSync(p, 'latin1')).not.toContain(token.slice(13, 40));
		}
		expect(fs.statSync(path.join(dir, 'credential.key')).size).toBe(32);
		expect(allArgv()).not.toContain(token);
		const page = await api.send('GET', '/settings/claude');
		expect(page.status).toBe(200);
		expect(page.text).toContain('Authenticated');
		expect(page.text).not.toContain(token);
		const db = fs.readFileSync(spyre.dbPath, 'latin1') + (fs.existsSync(spyre.dbPath + '-wal') ? fs.readFileSync(spyre.dbPath + '-wal', 'latin1') : '');
		expect(db).not.toContain(token);
	});

	it("re-authenticates with a full login through the CLI's localhost listener", async () => {
		await api.send('POST', '/auth/claude/start', { flow: 'login' });
		const waiting = await api.waitFor((v) => v.state === 'waiting' && !!v.localhostAuthorizeUrl, 'waiting with localhost URL');
		const local = new URL(waiting.localhostAuthorizeUrl!);
		const port = Number(new URL(local.searchParams.get('redirect_uri')!).port);
		const state = local.searchParams.get('state')!;
		issued.push(tokenFor('listener-code-1'));
		const r = await api.send('POST', '/auth/claude/relay', { code: `http://localhost:${port}/callback?code=listener-code-1&state=${state}` });
		expect(r.status).toBe(200);
		const done = await api.waitFor((v) => v.state === 'authenticated' && v.method === 'login', 'full login');
		expect(done.hasCredential).toBe(true);
		// The CLI keeps its own credentials (with the refresh token) in its config dir; Spyre's store has no refresh token.
		const cliCreds = path.join(spyre.dataDir, 'claude', '.credentials.json');
		expect(fs.existsSync(cliCreds)).toBe(true);
		expect(fs.readFileSync(path.join(spyre.dataDir, 'claude-auth', 'credential.json'), 'utf8')).not.toContain('sk-ant-ort01');
		// The health check runs `claude auth status` for a full login and keeps it authenticated: wait for a
		// check that started after the login finished (every 500 ms here), then read its verdict.
		const loggedInAt = Date.now();
		const checked = await api.waitFor((v) => v.checkedAt !== null && v.checkedAt > loggedInAt, 'a health check after the login');
		expect(checked.state).toBe('authenticated');
	});

	it("accepts the callback without a session only for the waiting flow's state, once", async () => {
		await api.send('POST', '/auth/claude/start', { flow: 'setup_token' });
		const waiting = await api.waitFor((v) => v.state === 'waiting', 'waiting');
		const state = stateOf(waiting.authorizeUrl!);
		expect((await get(spyre.url, `/auth/claude/callback?code=cb-1&state=wrong${encodeURIComponent(state)}`)).status).toBe(400);
		expect((await get(spyre.url, '/auth/claude/callback?code=cb-1')).status).toBe(400);
		expect((await get(spyre.url, `/auth/claude/callback?state=${encodeURIComponent(state)}`)).status).toBe(400);
		expect((await api.status()).state).toBe('waiting');
		issued.push(tokenFor('cb-1'));
		const ok = await get(spyre.url, `/auth/claude/callback?code=cb-1&state=${encodeURIComponent(state)}`);
		expect(ok.status).toBe(303);
		expect(ok.headers.get('location')).toBe('/settings/claude');
		const replay = await get(spyre.url, `/auth/claude/callback?code=cb-1&state=${encodeURIComponent(state)}`);
		expect(replay.status).toBe(400);
		const done = await api.waitFor((v) => v.state === 'authenticated' && v.method === 'setup_token', 'authenticated by callback');
		expect(done.lastError).toBeNull();
	});

	it('records a failed code exchange and falls back to the stored credential', async () => {
		await api.send('POST', '/auth/claude/start', { flow: 'setup_token' });
		const waiting = await api.waitFor((v) => v.state === 'waiting', 'waiting');
		await api.send('POST', '/auth/claude/relay', { code: `fail-now#${stateOf(waiting.authorizeUrl!)}` });
		const after = await api.waitFor((v) => v.state === 'authenticated' && !!v.lastError, 'failure then restore');
		expect(after.lastError).toMatch(/Login failed: Request failed with status code 400/);
		const tail = logRows(spyre.dbPath).slice(-2);
		expect(tail.map((r) => [r.event, r.to_state])).toEqual([
			['login_failed', 'failed'],
			['restored', 'authenticated']
		]);
	});

	it("cancel kills the CLI's whole process group", async () => {
		await api.send('POST', '/auth/claude/start', { flow: 'login' });
		await api.waitFor((v) => v.state === 'waiting', 'waiting');
		const pids = flowPids(spyre.dataDir);
		expect(pids.length).toBeGreaterThanOrEqual(2);
		const r = await api.send('POST', '/auth/claude/cancel');
		expect(r.status).toBe(200);
		expect(r.json.state).toBe('authenticated');
		for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
		const tail = logRows(spyre.dbPath).slice(-2);
		expect(tail.map((x) => [x.event, x.to_state])).toEqual([
			['login_cancelled', 'cancelled'],
			['restored', 'authenticated']
		]);
		expect((await api.send('POST', '/auth/claude/cancel')).status).toBe(409);
	});

	it('takes an API key instead, and signs out', async () => {
		const bad = await api.send('POST', '/auth/claude/api-key', { apiKey: 'not a key' });
		expect(bad.status).toBe(422);
		const key = 'sk-ant-api03-' + crypto.randomBytes(24).toString('base64url');
		issued.push(key);
		const ok = await api.send('POST', '/auth/claude/api-key', { apiKey: key });
		expect(ok.status).toBe(200);
		expect(ok.json.method).toBe('api_key');
		const out = await api.send('POST', '/auth/claude/sign-out');
		expect(out.json.state).toBe('idle');
		expect(out.json.hasCredential).toBe(false);
		expect(fs.existsSync(path.join(spyre.dataDir, 'claude', '.credentials.json'))).toBe(false);
		expect(logRows(spyre.dbPath).at(-1)).toMatchObject({ event: 'logout', to_state: 'idle' });
	});
});

describe('abandoned flows and crashed Spyres', () => {
	it('cancels a flow left waiting, and kills orphans at start-up', async () => {
		const env = { SPYRE_POLL_MS: '0', SPYRE_CLAUDE_LOGIN_TIMEOUT_MS: '2500' };
		let spyre = await startSpyre({ config: { claude: { cli_path: STANDIN } }, env });
		try {
			const api = client(spyre, await setupAdmin(spyre.url, 'admin', 'integration-pass-1'));
			await api.send('POST', '/auth/claude/start', { flow: 'setup_token' });
			await api.waitFor((v) => v.state === 'waiting', 'waiting');
			const pids = flowPids(spyre.dataDir);
			const gone = await api.waitFor((v) => v.state === 'cancelled', 'timed out', 8000);
			expect(gone.lastError).toMatch(/within 3 seconds, so it was cancelled/);
			for (const pid of pids) expect(alive(pid)).toBe(false);
			expect(logRows(spyre.dbPath).at(-1)).toMatchObject({ event: 'login_timed_out', to_state: 'cancelled' });

			// A crash mid-flow: the CLI dies with the PTY, its helper (which ignores SIGHUP) is left behind.
			await api.send('POST', '/auth/claude/start', { flow: 'login' });
			await api.waitFor((v) => v.state === 'waiting', 'waiting again');
			const before = flowPids(spyre.dataDir);
			process.kill(spyre.pid, 'SIGKILL');
			const data = { dataDir: spyre.dataDir, configPath: spyre.configPath, dbPath: spyre.dbPath, port: spyre.port };
			await spyre.stop({ keepData: true });
			const orphans = await until(
				'an orphan to remain',
				() => {
					const left = before.filter(alive);
					return left.length > 0 ? left : null;
				},
				3000
			);
			spyre = await startSpyre({ reuse: data, env });
			await until('orphans killed', () => orphans.every((p) => !alive(p)), 5000);
			expect(logRows(spyre.dbPath).some((r) => r.event === 'orphan_killed')).toBe(true);
			const api2 = client(spyre, await login(spyre.url, 'admin', 'integration-pass-1'));
			expect((await api2.status()).state).toBe('idle');
		} finally {
			await spyre.stop();
		}
	});

	it('fails clearly when the CLI is missing on the Spyre host', async () => {
		const spyre = await startSpyre({ config: { claude: { cli_path: '/nonexistent/claude' } }, env: { SPYRE_POLL_MS: '0' } });
		try {
			const api = client(spyre, await setupAdmin(spyre.url, 'admin', 'integration-pass-1'));
			const r = await api.send('POST', '/auth/claude/start', { flow: 'setup_token' });
			expect(r.status).toBe(500);
			expect(r.json.error).toMatch(/claude CLI was not found at "\/nonexistent\/claude".*claude\.cli_path/);
			const v = await api.status();
			expect(v.state).toBe('failed');
			expect(v.lastError).toMatch(/not found/);
			expect(logRows(spyre.dbPath).map((x) => [x.event, x.to_state])).toEqual([
				['login_started', 'starting'],
				['login_failed', 'failed']
			]);
		} finally {
			await spyre.stop();
		}
	});
});
