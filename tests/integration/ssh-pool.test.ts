import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/lib/server/db';
import { SpyreError } from '../../src/lib/server/errors';
import { requireReachable } from '../../src/lib/server/environments/reachable';
import { dbHostKeyStore } from '../../src/lib/server/environments/host-keys';
import { HostKeyChangedError, type SshPool, type SshPoolOptions, type SshTarget } from '../../src/lib/server/ssh';
import { startSshd, testPool, type TestSshd } from '../helpers/sshd';

let sshd: TestSshd;
let db: Db;
let tmp: string;
const pools: SshPool[] = [];

function insertEnv(id: string, ip: string | null, status = 'running') {
	const now = Date.now();
	db.prepare(`INSERT INTO environments (id, hostname, node, status, ip, created_at, updated_at) VALUES (?, ?, 'pve', ?, ?, ?, ?)`).run(id, id, status, ip, now, now);
}

function pinned(id: string): string | null {
	return (db.prepare('SELECT host_key_fingerprint AS fp FROM environments WHERE id = ?').get(id) as { fp: string | null }).fp;
}

function makePool(over: Partial<SshPoolOptions> = {}): SshPool {
	const pool = testPool(sshd, { hostKeys: dbHostKeyStore(db), backoff: { baseMs: 50, maxMs: 400 }, ...over });
	pools.push(pool);
	return pool;
}

async function expectSpyreError(p: Promise<unknown>, code: string): Promise<SpyreError> {
	try {
		await p;
	} catch (err) {
		expect(err).toBeInstanceOf(SpyreError);
		expect((err as SpyreError).code).toBe(code);
		return err as SpyreError;
	}
	throw new Error(`expected SpyreError ${code}`);
}

beforeAll(async () => {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-pool-'));
	db = openDatabase(path.join(tmp, 'spyre.db'));
	sshd = await startSshd();
	insertEnv('env-a', sshd.host);
	insertEnv('env-b', sshd.host);
	insertEnv('env-noip', null, 'creating');
});

afterAll(async () => {
	await Promise.allSettled(pools.map((p) => p.closeAll()));
	await sshd?.destroy();
	db?.close();
	fs.rmSync(tmp, { recursive: true, force: true });
});

describe('ssh-pool', () => {
	it('requireReachable reads the row, refuses unknown and IP-less environments', () => {
		expect(requireReachable('env-a', db)).toEqual({ envId: 'env-a', host: sshd.host });
		expect(() => requireReachable('nope', db)).toThrowError(expect.objectContaining({ code: 'not_found' }));
		expect(() => requireReachable('env-noip', db)).toThrowError(expect.objectContaining({ code: 'conflict' }));
	});

	it('verifySsh runs `true` and pins the host key on first use', async () => {
		const pool = makePool();
		expect(pinned('env-a')).toBeNull();
		const { fingerprint } = await pool.verifySsh(requireReachable('env-a', db));
		expect(fingerprint).toBe(sshd.hostKeyFingerprint);
		expect(pinned('env-a')).toBe(sshd.hostKeyFingerprint);
		await pool.closeAll();
	});

	it('shares one in-flight connect and one client across many concurrent channels', async () => {
		const pool = makePool();
		const target = requireReachable('env-a', db);
		const [c1, c2, c3] = await Promise.all([pool.getConnection(target), pool.getConnection(target), pool.getConnection(target)]);
		expect(c1).toBe(c2);
		expect(c2).toBe(c3);
		const results = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.exec(target, `echo out${i}; echo err${i} >&2; exit ${i % 3}`)));
		results.forEach((r, i) => {
			expect(r).toMatchObject({ code: i % 3, stdout: `out${i}\n`, stderr: `err${i}\n` });
		});
		expect(await pool.getConnection(target)).toBe(c1);
		expect(pool.stats()).toMatchObject({ connects: 1, channels: 0 });
		expect(pool.stats().connections).toHaveLength(1);
		await pool.closeAll();
	});

	it('passes stdin and enforces exec timeouts', async () => {
		const pool = makePool();
		const target = requireReachable('env-a', db);
		expect((await pool.exec(target, 'tr a-z A-Z', { stdin: 'hello\n' })).stdout).toBe('HELLO\n');
		const t0 = Date.now();
		await expectSpyreError(pool.exec(target, 'sleep 5', { timeoutMs: 300 }), 'timeout');
		expect(Date.now() - t0).toBeLessThan(3000);
		await pool.closeAll();
	});

	it('opens a PTY with the requested size and TERM', async () => {
		const pool = makePool();
		const target = requireReachable('env-a', db);
		// The second `stty size` runs only after the resize: the newline that releases `read` is sent after
		// the window-change, on the same channel, so they arrive in that order however slow the machine is.
		const pty = await pool.openPty(target, 'stty size; echo $TERM; read line; stty size', { cols: 91, rows: 27 });
		let out = '';
		let resized = false;
		pty.stream.on('data', (d: Buffer) => {
			out += d.toString();
			if (!resized && out.includes('xterm-256color')) {
				resized = true;
				pty.resize(100, 33);
				pty.stream.write('\n');
			}
		});
		await pty.closed;
		expect(out).toContain('27 91');
		expect(out).toContain('xterm-256color');
		expect(out).toContain('33 100');
		await pool.closeAll();
	});

	it('closes an idle connection once no channel is open', async () => {
		const pool = makePool({ idleCloseMs: 300 });
		const target = requireReachable('env-a', db);
		const pty = await pool.openPty(target, 'sleep 0.8', { cols: 80, rows: 24 });
		pty.stream.resume();
		await new Promise((r) => setTimeout(r, 500));
		expect(pool.stats().connections).toHaveLength(1); // a channel is open: not idle
		expect(await pty.closed).toEqual({ code: 0, signal: undefined });
		await new Promise((r) => setTimeout(r, 600));
		expect(pool.stats().connections).toHaveLength(0);
		expect(pool.stats().idleCloses).toBe(1);
		expect((await pool.exec(target, 'echo again')).stdout).toBe('again\n');
		expect(pool.stats().connects).toBe(2);
		await pool.closeAll();
	});

	it('reports a refused key as ssh_auth with a clear message', async () => {
		const pool = makePool({ privateKey: fs.readFileSync(sshd.makeStrangerKey()) });
		const err = await expectSpyreError(pool.exec(requireReachable('env-b', db), 'true'), 'ssh_auth');
		expect(err.message).toMatch(/did not accept Spyre's SSH key/);
		expect(pinned('env-b')).toBeNull(); // nothing pinned without a successful login
		await pool.closeAll();
	});

	it('reports an unreachable port and a connect timeout', async () => {
		const pool = makePool({ connectTimeoutMs: 500 });
		const refused = await expectSpyreError(pool.exec({ envId: 'x', host: sshd.host, port: 1 }, 'true'), 'ssh');
		expect(refused.message).toMatch(/refused/);
		// A listener that never speaks SSH: the handshake times out.
		const net = await import('node:net');
		const sockets: import('node:net').Socket[] = [];
		const silent = net.createServer((s) => void sockets.push(s));
		await new Promise<void>((r) => silent.listen(0, sshd.host, r));
		const port = (silent.address() as { port: number }).port;
		const t0 = Date.now();
		await expectSpyreError(pool.exec({ envId: 'y', host: sshd.host, port }, 'true'), 'timeout');
		expect(Date.now() - t0).toBeLessThan(3000);
		sockets.forEach((s) => s.destroy());
		await new Promise((r) => silent.close(r));
		await pool.closeAll();
	});

	it('notifies open channels when the link drops and reconnects after sshd restarts', async () => {
		const pool = makePool();
		const target: SshTarget = requireReachable('env-a', db);
		const pty = await pool.openPty(target, 'sleep 60', { cols: 80, rows: 24 });
		pty.stream.resume();
		const lost = new Promise<SpyreError>((r) => pty.onConnectionLost(r));
		const disconnects: string[] = [];
		pool.on('disconnect', (envId: string) => disconnects.push(envId));
		await sshd.stop();
		const err = await lost;
		expect(err.code).toBe('ssh');
		expect(err.message).toMatch(/lost/);
		expect(disconnects).toEqual(['env-a']);
		expect(pool.stats().lostConnections).toBe(1);
		// While sshd is down: a clear error, not a hang.
		await expectSpyreError(pool.exec(target, 'true'), 'ssh');
		await sshd.restart();
		// Backoff (50..400 ms here) then a fresh connection.
		const r = await pool.exec(target, 'echo back');
		expect(r.stdout).toBe('back\n');
		await pool.closeAll();
	});

	it('refuses a changed host key until it is re-trusted', async () => {
		const pool = makePool();
		const target = requireReachable('env-a', db);
		const before = pinned('env-a');
		expect(before).toBeTruthy();
		await sshd.restart({ newHostKey: true });
		const err = await expectSpyreError(pool.exec(target, 'true'), 'ssh_host_key');
		expect(err.message).toContain(`Expected ${before}`);
		expect(err.message).toContain(`got ${sshd.hostKeyFingerprint}`);
		expect(err.message).toMatch(/re-trust/);
		expect(pinned('env-a')).toBe(before); // the pin is not overwritten
		await expectSpyreError(pool.exec(target, 'true'), 'ssh_host_key'); // still refused
		pool.forgetHostKey('env-a');
		expect(pinned('env-a')).toBeNull();
		const { fingerprint } = await pool.verifySsh(target);
		expect(fingerprint).toBe(sshd.hostKeyFingerprint);
		expect(pinned('env-a')).toBe(sshd.hostKeyFingerprint);
		await pool.closeAll();
	});

	it('re-trusts a changed host key only by the fingerprint the container presents', async () => {
		const pool = makePool();
		const target = requireReachable('env-a', db);
		await pool.verifySsh(target);
		const before = pinned('env-a')!;
		await sshd.restart({ newHostKey: true });
		const now = sshd.hostKeyFingerprint;
		expect(now).not.toBe(before);
		// The refusal carries the new fingerprint, for the page that offers "trust this key".
		const err = await expectSpyreError(pool.exec(target, 'true'), 'ssh_host_key');
		expect(err).toBeInstanceOf(HostKeyChangedError);
		expect(err.fields).toEqual({ fingerprint: now });
		expect(await pool.presentedHostKey(target)).toBe(now);
		// A fingerprint that is not what the container presents: refused, nothing changes.
		const wrong = await expectSpyreError(pool.trustHostKey(target, before), 'conflict');
		expect(wrong.message).toContain(now);
		expect(pinned('env-a')).toBe(before);
		await expectSpyreError(pool.trustHostKey(target, 'SHA256:nope'), 'validation');
		await expectSpyreError(pool.exec(target, 'true'), 'ssh_host_key');
		// The right one: pinned exactly, and connections work again.
		expect(await pool.trustHostKey(target, ` ${now} `)).toEqual({ fingerprint: now, previous: before });
		expect(pinned('env-a')).toBe(now);
		expect((await pool.exec(target, 'echo trusted')).stdout).toBe('trusted\n');
		expect(pinned('env-a')).toBe(now);
		// The probe never logs in: an unreachable port is a clear error, not a hang.
		await expectSpyreError(pool.presentedHostKey({ envId: 'x', host: sshd.host, port: 1 }), 'ssh');
		await pool.closeAll();
	});

	it('opens more connections when channels exceed what one connection carries (sshd MaxSessions)', async () => {
		// Configured limit: 3 channels per connection -> 7 PTYs need 3 connections.
		const pool = makePool({ channelsPerConnection: 3 });
		const target = { envId: 'env-b', host: sshd.host };
		const ptys = await Promise.all(Array.from({ length: 7 }, () => pool.openPty(target, 'sleep 4', { cols: 80, rows: 24 })));
		expect(pool.stats().connections.filter((c) => c.envId === 'env-b').length).toBe(3);
		// Drain the streams: a paused Readable never emits 'close'.
		for (const p of ptys) {
			p.stream.resume();
			p.close();
		}
		await Promise.all(ptys.map((p) => p.closed));

		// Learned limit: the test sshd allows 20 sessions; a pool that assumes 100 finds out on the 21st.
		const greedy = makePool({ channelsPerConnection: 100 });
		const many = [];
		for (let i = 0; i < 25; i++) many.push(await greedy.openPty(target, 'sleep 6', { cols: 80, rows: 24 }));
		const conns = greedy.stats().connections.filter((c) => c.envId === 'env-b');
		expect(conns.length).toBe(2);
		expect(conns.map((c) => c.channels).sort((a, b) => a - b)).toEqual([5, 20]);
		// Commands still run while the terminals are open.
		expect((await greedy.exec(target, 'echo still-ok')).stdout.trim()).toBe('still-ok');
		for (const p of many) {
			p.stream.resume();
			p.close();
		}
		await Promise.all(many.map((p) => p.closed));
	});

	it('closeAll drains every connection', async () => {
		const pool = makePool();
		await pool.exec(requireReachable('env-a', db), 'true');
		await pool.exec({ envId: 'other', host: sshd.host }, 'true');
		expect(pool.stats().connections).toHaveLength(2);
		await pool.closeAll();
		expect(pool.stats().connections).toHaveLength(0);
	});
});
