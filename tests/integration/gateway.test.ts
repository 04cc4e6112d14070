// The SSH gateway against the real OpenSSH client (ssh, scp, sftp, ssh -L): Spyre's modules run in this
// process with a temp environment.yaml (ssh.gateway on a free loopback port) and a real SQLite file; the
// "environment" is a throwaway sshd (tests/helpers/sshd.ts) reached through the real SSH pool with its host
// key pinned. Keys are added and removed through the keys module that Settings uses.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { startSshd, type TestSshd } from '../helpers/sshd';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import { clientOptions, spawnClient, ssh, type Gateway } from '../helpers/openssh';
import { waitFor } from '../helpers/wait';

let sshd: TestSshd;
let data: TestDataDir;
let gw: Gateway;
let gateway: typeof import('../../src/lib/server/gateway');
let db: import('../../src/lib/server/db').Db;
let owner: { userId: number; username: string; ip: string };
let ownerKey: string;
const ENV = 'dev-box';

function keygen(name: string): string {
	const file = path.join(data.dataDir, name);
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file], { stdio: 'ignore' });
	return file;
}

function addKey(name: string, file: string) {
	return gateway.keys.add(owner, { name, key: fs.readFileSync(`${file}.pub`, 'utf8') });
}

function auditRows(action: string): Array<{ target: string; outcome: string; detail: string }> {
	return db.prepare('SELECT target, outcome, detail FROM audit_log WHERE action = ? ORDER BY id').all(action) as Array<{ target: string; outcome: string; detail: string }>;
}

beforeAll(async () => {
	sshd = await startSshd();
	data = await makeDataDir({
		config: { ssh: { private_key_path: sshd.privateKeyPath, public_key_path: sshd.publicKeyPath, port: sshd.port, gateway: { listen: '127.0.0.1:0' } } }
	});
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	db = (await import('../../src/lib/server/db')).getDb();
	gateway = await import('../../src/lib/server/gateway');
	const now = Date.now();
	const userId = Number(db.prepare(`INSERT INTO users (username, password_hash, created_at) VALUES ('owner', 'x', ?)`).run(now).lastInsertRowid);
	owner = { userId, username: 'owner', ip: '127.0.0.1' };
	db.prepare(`INSERT INTO environments (id, hostname, node, status, ip, created_at, updated_at) VALUES ('env-1', ?, 'pve', 'running', ?, ?, ?)`).run(ENV, sshd.host, now, now);
	expect(await gateway.startGateway()).toMatch(/^127\.0\.0\.1:\d+ /);
	const info = gateway.gatewayInfo();
	if (!info.enabled) throw new Error('gateway off');
	const hostKeyPath = path.join(data.dataDir, 'gateway_host_ed25519');
	expect(fs.statSync(hostKeyPath).mode & 0o777).toBe(0o600);
	const pub = execFileSync('ssh-keygen', ['-y', '-f', hostKeyPath], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
	gw = { host: '127.0.0.1', port: info.port, hostPublicKey: pub, dir: data.dataDir };
	// The fingerprint Settings shows is the one OpenSSH computes.
	fs.writeFileSync(path.join(data.dataDir, 'gw.pub'), pub + '\n');
	expect(execFileSync('ssh-keygen', ['-l', '-f', path.join(data.dataDir, 'gw.pub')], { encoding: 'utf8' }).split(' ')[1]).toBe(info.fingerprint);
	ownerKey = keygen('owner_key');
	addKey('laptop', ownerKey);
});

afterAll(async () => {
	await gateway?.stopGateway();
	await (await import('../../src/lib/server/ssh')).closeSshPool();
	(await import('../../src/lib/server/db')).closeDb();
	await sshd?.destroy();
	data?.remove();
});

describe('SSH gateway', () => {
	it('runs an exec as the environment, passing the command verbatim (quotes and all) and its exit status', async () => {
		const r = await ssh(gw, ownerKey, ENV, [`printf '%s|' "a'b" 'c"d' '$HOME;x'; exit 3`]);
		expect(r.stdout).toBe(`a'b|c"d|$HOME;x|`);
		expect(r.code).toBe(3);
		await waitFor(
			() => auditRows('gateway.session'),
			(rows) => rows.length >= 1
		);
		const row = auditRows('gateway.session').at(-1)!;
		expect(row.target).toBe(ENV);
		expect(row.detail).toContain('exec with key "laptop"');
		expect(row.detail).toMatch(/ 16 B out, 0 B in/);
	});

	it('accepts the ~/.ssh/config block the environment page offers, as written', async () => {
		const { sshConfigBlock } = await import('../../src/lib/shared/editor-connect');
		const block = sshConfigBlock({ hostname: ENV, host: gw.host, port: gw.port, dir: '/root' }).replace('~/.ssh/id_ed25519', ownerKey);
		const file = path.join(data.dataDir, 'ssh_config');
		const known = path.join(data.dataDir, 'block_known_hosts');
		fs.writeFileSync(known, `[${gw.host}]:${gw.port} ${gw.hostPublicKey}\n`);
		fs.writeFileSync(file, `${block}    UserKnownHostsFile ${known}\n    StrictHostKeyChecking yes\n    BatchMode yes\n    IdentityAgent none\n`);
		const r = await spawnClient('ssh', ['-F', file, `spyre-${ENV}`, 'echo via-config']).done;
		expect(r.stderr).toBe('');
		expect(r.stdout).toBe('via-config\n');
	});

	it('gives a shell with a PTY, allowed env vars only, and passes stdin through', async () => {
		const r = await ssh(gw, ownerKey, ENV, [], {
			extra: ['-tt', '-o', 'SetEnv=LANG=C.UTF-8 LD_PRELOAD=/evil.so'],
			input: 'tty >/dev/null && echo "TTY-OK $LANG [$LD_PRELOAD]"; exit\n'
		});
		expect(r.stdout).toContain('TTY-OK C.UTF-8 []');
	});

	it('refuses a wrong key and an unknown environment the same way, and hostile names like unknown ones', async () => {
		const stranger = keygen('stranger');
		const wrongKey = await ssh(gw, stranger, ENV, ['true']);
		const unknownEnv = await ssh(gw, ownerKey, 'no-such-env', ['true']);
		for (const r of [wrongKey, unknownEnv]) {
			expect(r.code).toBe(255);
			expect(r.stdout).toBe('');
		}
		const said = (r: { stderr: string }) => r.stderr.replace(/\S+@127\.0\.0\.1/g, 'USER@HOST').trim();
		expect(said(wrongKey)).toMatch(/Permission denied \(publickey\)/);
		expect(said(unknownEnv)).toBe(said(wrongKey));
		// OpenSSH refuses such names itself; ssh2 sends them, and they are unknown environments like any other.
		for (const name of [`x';touch /tmp/pwned;'$(id)`, 'dev-box;id', '../dev-box', 'DEV-BOX\nx', '%s%n']) {
			await expect(rawClient(ownerKey, name)).rejects.toThrow(/All configured authentication methods failed/);
		}
		expect(fs.existsSync('/tmp/pwned')).toBe(false);
	});

	it('copies files with scp (SFTP and the legacy protocol) and sftp', async () => {
		const src = path.join(data.dataDir, 'up.bin');
		fs.writeFileSync(src, Buffer.alloc(3 * 1024 * 1024, 7));
		const opts = clientOptions(gw, ownerKey);
		const scp = spawnClient('scp', [...opts, '-P', String(gw.port), src, `${ENV}@127.0.0.1:/root/up.bin`]);
		expect((await scp.done).code).toBe(0);
		expect(fs.statSync(path.join(sshd.home, 'up.bin')).size).toBe(3 * 1024 * 1024);
		const legacy = spawnClient('scp', [...opts, '-O', '-P', String(gw.port), `${ENV}@127.0.0.1:/root/up.bin`, path.join(data.dataDir, 'down.bin')]);
		expect((await legacy.done).code).toBe(0);
		expect(fs.readFileSync(path.join(data.dataDir, 'down.bin')).equals(fs.readFileSync(src))).toBe(true);
		const batch = path.join(data.dataDir, 'batch');
		fs.writeFileSync(batch, 'mkdir /root/sftp-dir\nls /root\n');
		const sftp = spawnClient('sftp', [...opts, '-b', batch, '-P', String(gw.port), `${ENV}@127.0.0.1`]);
		const r = await sftp.done;
		expect(r.code).toBe(0);
		expect(r.stdout).toContain('sftp-dir');
	});

	it('forwards -L to a port in the environment, and refuses any other host', async () => {
		const server = net.createServer((s) => s.end('hello from the environment\n'));
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
		const port = (server.address() as net.AddressInfo).port;
		const local = await new Promise<number>((r) => {
			const probe = net.createServer().listen(0, '127.0.0.1', () => {
				const p = (probe.address() as net.AddressInfo).port;
				probe.close(() => r(p));
			});
		});
		const { child, done } = spawnClient('ssh', [
			...clientOptions(gw, ownerKey),
			'-N',
			'-o',
			'ExitOnForwardFailure=yes',
			'-L',
			`127.0.0.1:${local}:localhost:${port}`,
			'-p',
			String(gw.port),
			`${ENV}@127.0.0.1`
		]);
		try {
			const reply = await waitFor(
				() =>
					new Promise<string>((resolve) => {
						const s = net.connect(local, '127.0.0.1');
						let got = '';
						s.on('data', (d) => (got += d.toString()));
						s.on('close', () => resolve(got));
						s.on('error', () => resolve(''));
					}),
				(got) => got.length > 0,
				20_000
			);
			expect(reply).toBe('hello from the environment\n');
		} finally {
			process.kill(child.pid!, 'SIGTERM');
			await done;
			server.close();
		}
		// Another host (even one that exists) is refused before anything is dialled.
		const client = await rawClient(ownerKey);
		try {
			for (const host of ['192.0.2.1', '10.0.0.1', '127.0.0.2', 'example.com', 'localhost.evil']) {
				const err = await new Promise<Error | undefined>((resolve) => client.forwardOut('127.0.0.1', 1, host, 22, (e) => resolve(e ?? undefined)));
				expect(err?.message).toMatch(/Channel open failure/);
			}
		} finally {
			client.end();
		}
	});

	it('carries 20 concurrent sessions with output flowing', async () => {
		const runs = Array.from({ length: 20 }, (_, i) => ssh(gw, ownerKey, ENV, [`for n in $(seq 1 300); do echo ${i}-$n; done`]));
		const results = await Promise.all(runs);
		results.forEach((r, i) => {
			expect(r.code).toBe(0);
			const lines = r.stdout.trim().split('\n');
			expect(lines).toHaveLength(300);
			expect(lines.at(-1)).toBe(`${i}-300`);
		});
		await waitFor(
			() => gateway.gatewaySessions('env-1'),
			(n) => n === 0,
			10_000
		);
	});

	it('keeps server memory bounded while a client never reads a endless stream', async () => {
		const client = await rawClient(ownerKey);
		try {
			const rssBefore = process.memoryUsage().rss;
			const stream = await new Promise<import('ssh2').ClientChannel>((resolve, reject) => client.exec('yes spyre-backpressure', (err, ch) => (err ? reject(err) : resolve(ch))));
			// Never read: the client's window fills, the gateway must pause the environment's side.
			stream.pause();
			await waitFor(
				() => gateway.gatewaySessions('env-1'),
				(n) => n === 1,
				10_000
			);
			await new Promise((r) => setTimeout(r, 4000));
			const grown = process.memoryUsage().rss - rssBefore;
			// Unbounded buffering of `yes` (hundreds of MB/s) would be far past this within 4 s.
			expect(grown).toBeLessThan(64 * 1024 * 1024);
			// And the stream still flows once the client reads.
			let got = 0;
			stream.on('data', (d: Buffer) => (got += d.length));
			stream.resume();
			await waitFor(
				() => got,
				(n) => n > 8 * 1024 * 1024,
				20_000,
				50
			);
			stream.close();
		} finally {
			client.end();
		}
		await waitFor(
			() => gateway.gatewaySessions('env-1'),
			(n) => n === 0,
			10_000
		);
	});

	it('refuses a removed key at once and closes the sessions it opened', async () => {
		const second = keygen('second_key');
		const key = addKey('desktop', second);
		expect(() => addKey('again', second)).toThrowError(expect.objectContaining({ code: 'conflict' }));
		const { child, done } = spawnClient('ssh', [...clientOptions(gw, second), '-p', String(gw.port), `${ENV}@127.0.0.1`, 'echo started; sleep 60']);
		let out = '';
		child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
		await waitFor(
			() => out,
			(o) => o.includes('started'),
			20_000,
			50
		);
		gateway.keys.remove(owner, key.id);
		const r = await done;
		expect(r.code).not.toBe(0);
		const again = await ssh(gw, second, ENV, ['true']);
		expect(again.code).toBe(255);
		expect(again.stderr).toMatch(/Permission denied \(publickey\)/);
		expect(auditRows('gateway.key_remove').at(-1)).toMatchObject({ target: 'desktop', outcome: 'success' });
	});
});

/** A raw ssh2 client signed in to the gateway with the owner's key (for what the OpenSSH CLI cannot do). */
function rawClient(identity: string, username = ENV): Promise<Client> {
	return new Promise((resolve, reject) => {
		const c = new Client();
		c.once('ready', () => resolve(c));
		c.once('error', reject);
		c.connect({
			host: gw.host,
			port: gw.port,
			username,
			privateKey: fs.readFileSync(identity),
			hostVerifier: (key: Buffer) => key.toString('base64') === gw.hostPublicKey.split(' ')[1]
		});
	});
}
