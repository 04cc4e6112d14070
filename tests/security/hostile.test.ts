// A hostile-input corpus through every API route, every path parameter, every form and the socket
// parameters, signed in (the worst case: the gate is passed). Expected: 4xx or success, never a 5xx, the
// server stays up, no stack trace in a response, and the canary file that every shell payload would
// create never appears.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ssh, startSim, type RunningSim } from '../helpers/sim';
import { get, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { createEnvironment, signedInApi } from '../helpers/environments';
import { fillRoute, raw, rawUpgrade, requestPath, socketPaths, walkRoutes, type Endpoint, type UpgradeOutcome } from './surface';
import { TEST_TEMPLATE } from '../helpers/templates';

const CANARY = path.join(os.tmpdir(), `spyre-sec-canary-${process.pid}`);
/** A stack frame (`    at fn (/path/file.js:1:2)`) or Node internals: never in a response. */
const STACK = /\n\s+at (.+ \()?\/[^\s)]+:\d+:\d+|node:internal/;

/** Strings an attacker would try; each shell/tmux payload would create CANARY if it ran anywhere. */
export const HOSTILE_STRINGS: string[] = [
	`$(touch ${CANARY})`,
	'`touch ' + CANARY + '`',
	`; touch ${CANARY}`,
	`| touch ${CANARY}`,
	`&& touch ${CANARY} #`,
	`'; touch ${CANARY}; '`,
	`"; touch ${CANARY}; "`,
	`\ntouch ${CANARY}\n`,
	`#(touch ${CANARY})`,
	'#{pane_current_command}#[fg=red]',
	'../../../../../../etc/passwd',
	'..%2f..%2f..%2fetc%2fpasswd',
	'/etc/shadow',
	'a\u0000b',
	'\u0000',
	'x'.repeat(1024 * 1024),
	'\u202e\u0644\u0627 gnp.exe',
	'\ufeffadmin',
	'ａｄｍｉｎ',
	'e\u0301\u200b\u200d',
	'🚀'.repeat(100),
	'\ud800', // a lone surrogate
	'%00%0d%0aSet-Cookie:%20x=1',
	'<script>alert(1)</script>',
	'{{7*7}}${7*7}',
	"' OR 1=1 --",
	''
];

const HOSTILE_VALUES: unknown[] = [...HOSTILE_STRINGS, -1, 0, 1e308, -1e308, 2 ** 53 + 1, 3.5, true, false, null, [], {}, ['a'], { $gt: '' }, { __proto__: { admin: true } }];

/** Field names Spyre's APIs and forms use, plus a few it does not. */
const FIELDS = ['hostname', 'name', 'template', 'cores', 'memory', 'disk', 'config', 'command', 'index', 'fingerprint', 'vmid', 'yaml', 'username', 'password', 'current', 'code', '__proto__'];
const BIG = 1024 * 1024;

function short(v: unknown): string {
	const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
	return s.length > 60 ? `${s.slice(0, 60)}… (${s.length})` : s;
}

let sim: RunningSim;
let spyre: RunningSpyre;
let cookie: string;
let origin: string;
const endpoints = walkRoutes();
const TEMPLATE = TEST_TEMPLATE;
/** A live environment, so payloads reach the code paths that build shell and tmux commands for a real CT. */
let live: { id: string; ip: string };

/** Whether the canary exists inside the live CT (payloads that ran there would have made it in the CT's /tmp). */
async function canaryInCt(file = CANARY): Promise<boolean> {
	const r = await ssh(path.join(spyre.dataDir, 'ssh', 'id_ed25519'), live.ip, sim.simJson.sshPort, `test -e ${file} && echo present || echo absent`);
	if (!/present|absent/.test(r.stdout)) throw new Error(`could not look for the canary in the CT (${r.code}): ${r.stderr}`);
	return r.stdout.includes('present');
}

beforeAll(async () => {
	fs.rmSync(CANARY, { force: true });
	sim = await startSim();
	spyre = await startSpyre({ simJson: sim.simJson });
	cookie = await setupAdmin(spyre.url, 'admin', 'hostile-password-1');
	origin = new URL(spyre.url).origin;
	const env = await createEnvironment(signedInApi(spyre.url, cookie), { hostname: 'hostile-live', template: TEMPLATE, cores: 1, memory: 512, disk: 4 });
	live = { id: env.id, ip: env.ip! };
});
afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
	fs.rmSync(CANARY, { force: true });
});

/**
 * What a KNOWN socket path did with hostile parameters under a valid session: 'answered' when it upgraded
 * (the endpoint then judges the parameters) or refused with a 4xx; anything else is the outcome itself.
 * A dropped socket ('destroyed') is never right here: only unknown paths are dropped (surface.test.ts).
 */
function answer(out: UpgradeOutcome): 'answered' | 'destroyed' | number {
	if ('destroyed' in out) return 'destroyed';
	return out.status === 101 || (out.status >= 400 && out.status < 500) ? 'answered' : out.status;
}

async function expectSane(what: string, p: Promise<{ status: number; body: string }>) {
	let res: { status: number; body: string };
	try {
		res = await p;
	} catch (err) {
		throw new Error(`${what}: request failed (${(err as Error).message})`, { cause: err });
	}
	expect([what, res.status < 500]).toEqual([what, true]);
	expect(res.body, what).not.toMatch(STACK);
}

function send(e: Endpoint, pathname: string, body: string | undefined, contentType: string) {
	return raw(spyre.url, pathname, {
		method: e.method,
		headers: { cookie, origin, 'content-type': contentType, accept: e.kind === 'api' ? 'application/json' : 'text/html' },
		body
	});
}

describe('hostile input', () => {
	const api = endpoints.filter((e) => e.kind === 'api' && e.method !== 'GET');
	const forms = endpoints.filter((e) => e.kind === 'page' && e.method === 'POST' && e.id !== '/logout' && !(e.id === '/settings/account' && e.action === 'signout_everywhere'));

	it('JSON bodies: every field of every mutating API route', async () => {
		expect(api.length).toBeGreaterThan(5);
		for (const e of api) {
			for (const field of FIELDS) {
				// One field at a time, so each payload meets that field's own validation; never a complete,
				// valid request (the corpus must not create real environments).
				for (const v of HOSTILE_VALUES.filter((x) => typeof x !== 'string' || x.length < BIG)) {
					await expectSane(`${e.method} ${e.path} ${field}=${short(v)}`, send(e, e.path, JSON.stringify({ [field]: v }), 'application/json'));
				}
			}
			await expectSane(`${e.method} ${e.path} 1 MB strings`, send(e, e.path, JSON.stringify(Object.fromEntries(FIELDS.slice(0, 3).map((f) => [f, 'x'.repeat(BIG)]))), 'application/json'));
		}
	});

	it('malformed JSON: wrong types, duplicate keys, bad syntax, deep nesting, wrong content type', async () => {
		const bodies = [
			'[]',
			'"string"',
			'123',
			'null',
			'true',
			'{',
			'{"a":',
			'{"hostname":"a","hostname":"$(touch ' + CANARY + ')"}',
			'{"__proto__":{"isAdmin":true}}',
			'['.repeat(10_000) + ']'.repeat(10_000),
			'{"a":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5001),
			'\u0000',
			'\ufeff{}',
			'x'.repeat(2 * 1024 * 1024)
		];
		for (const e of api) {
			for (const b of bodies) await expectSane(`${e.method} ${e.path} body=${short(b)}`, send(e, e.path, b, 'application/json'));
			await expectSane(`${e.method} ${e.path} text/plain`, send(e, e.path, '{}', 'text/plain'));
			await expectSane(`${e.method} ${e.path} no body`, send(e, e.path, undefined, 'application/json'));
		}
	});

	it('path parameters of every route, every method', async () => {
		for (const e of endpoints.filter((x) => x.params.length > 0)) {
			for (const v of HOSTILE_STRINGS.filter((s) => s.length < 10_000)) {
				let filled: string;
				try {
					filled = fillRoute(e.id, () => v).path;
				} catch {
					continue; // a lone surrogate cannot be URI-encoded: no client can send it either
				}
				const body = e.kind === 'api' ? '{}' : 'x=1';
				await expectSane(`${e.method} ${e.id} <- ${short(v)}`, send(e, filled, e.method === 'GET' ? undefined : body, e.kind === 'api' ? 'application/json' : 'application/x-www-form-urlencoded'));
			}
		}
	});

	it('query strings on every GET route', async () => {
		for (const e of endpoints.filter((x) => x.method === 'GET')) {
			for (const v of HOSTILE_STRINGS.filter((s) => s.length < 10_000)) {
				let q: string;
				try {
					q = new URLSearchParams({ next: v, after: v, window: v, q: v, status: v }).toString();
				} catch {
					continue;
				}
				await expectSane(`GET ${e.path}?${short(v)}`, raw(spyre.url, `${e.path}?${q}`, { headers: { cookie } }));
			}
		}
	});

	it('every form field of every form action', async () => {
		expect(forms.length).toBeGreaterThan(1);
		for (const e of forms) {
			for (const field of FIELDS) {
				for (const v of HOSTILE_STRINGS.filter((x) => x.length < BIG || field === 'username')) {
					let body: string;
					try {
						body = new URLSearchParams({ [field]: v, username: 'admin', password: v, current: v, confirm: v }).toString();
					} catch {
						continue;
					}
					await expectSane(`POST ${requestPath(e)} ${field}=${short(v)}`, send(e, requestPath(e), body, 'application/x-www-form-urlencoded'));
				}
			}
			// A multipart form with a 1 MB file where text is expected.
			const boundary = 'XsecX';
			const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="username"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n${'y'.repeat(1024 * 1024)}\r\n--${boundary}--\r\n`;
			await expectSane(`POST ${requestPath(e)} multipart file`, send(e, requestPath(e), multipart, `multipart/form-data; boundary=${boundary}`));
		}
	});

	it('socket parameters', async () => {
		for (const p of socketPaths()) {
			for (const v of HOSTILE_STRINGS.filter((s) => s.length < 10_000)) {
				let q: string;
				try {
					q = new URLSearchParams({ after: v, window: v, cols: v, rows: v }).toString();
				} catch {
					continue;
				}
				expect([p, short(v), answer(await rawUpgrade(spyre.url, `${p}?${q}`, { cookie, origin }))]).toEqual([p, short(v), 'answered']);
			}
		}
	});

	it('a live environment: every route under it, every field and the terminal socket, and nothing runs in the CT', async () => {
		// Verbs that would end the experiment (destroy, stop, forget the host key) are left out; every other
		// route of the environment gets each payload in each field, and the window routes in their index.
		// The check can see a file in the CT (positive control), so its "absent" below means something.
		const control = `${CANARY}-control`;
		await ssh(path.join(spyre.dataDir, 'ssh', 'id_ed25519'), live.ip, sim.simJson.sshPort, `touch ${control}`);
		expect(await canaryInCt(control)).toBe(true);
		const skip = new Set(['DELETE /api/environments/[id]', 'POST /api/environments/[id]/stop', 'POST /api/environments/[id]/trust-host-key']);
		const under = endpoints.filter((e) => e.kind === 'api' && e.id.startsWith('/api/environments/[id]') && !skip.has(`${e.method} ${e.id}`));
		expect(under.length).toBeGreaterThan(4);
		const strings = HOSTILE_STRINGS.filter((x) => x.length < 10_000);
		for (const e of under) {
			for (const v of strings) {
				let filled: string;
				try {
					filled = fillRoute(e.id, (param) => (param === 'id' ? live.id : v)).path;
				} catch {
					continue; // a lone surrogate cannot be URI-encoded
				}
				const body = e.method === 'GET' ? undefined : JSON.stringify(Object.fromEntries([...FIELDS, 'prompt', 'fromStep'].map((f) => [f, v])));
				await expectSane(`${e.method} ${e.id} <- ${short(v)}`, send(e, filled, body, 'application/json'));
			}
		}
		for (const v of strings) {
			let q: string;
			try {
				q = new URLSearchParams({ window: v, cols: v, rows: v }).toString();
			} catch {
				continue;
			}
			expect([short(v), answer(await rawUpgrade(spyre.url, `/api/terminal/${live.id}?${q}`, { cookie, origin }))]).toEqual([short(v), 'answered']);
		}
		// The environment is still there and reachable, and no payload ran in it.
		expect((await get(spyre.url, `/api/environments/${live.id}`, cookie)).status).toBe(200);
		expect(await canaryInCt()).toBe(false);
	});

	it('afterwards: the server is alive, the signed-in session still works, the canary never appeared', async () => {
		expect((await get(spyre.url, '/healthz')).status).toBe(200);
		expect((await get(spyre.url, '/api/environments', cookie)).status).toBe(200);
		await new Promise((r) => setTimeout(r, 1000));
		expect(fs.existsSync(CANARY)).toBe(false);
		expect(await canaryInCt()).toBe(false);
		expect(spyre.output().stderr).not.toMatch(/uncaught|unhandled/i);
	});
});
