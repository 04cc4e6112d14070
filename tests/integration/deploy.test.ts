// The deployment files as a user gets them: deploy/Caddyfile validated and run by the real caddy in front
// of the built server (pages, form posts and WebSockets through the proxy), the systemd unit's hardening,
// and setup.sh's command line.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, freePort, openEvents, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';

const run = promisify(execFile);

describe('deploy/Caddyfile', () => {
	let spyre: RunningSpyre;
	let caddy: ChildProcess | undefined;
	let dir: string;
	let proxyUrl: string;

	beforeAll(async () => {
		const port = await freePort();
		proxyUrl = `http://127.0.0.1:${port}`;
		spyre = await startSpyre({ mode: 'built', config: { server: { public_url: proxyUrl } } });
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-caddy-'));
		// The shipped file, pointed at this test's ports (plain http on loopback instead of a public name).
		const shipped = fs.readFileSync(path.join(REPO_ROOT, 'deploy/Caddyfile'), 'utf8');
		const local = shipped.replace('admin 127.0.0.1:2019', 'admin off').replace('spyre.example.com {', `${proxyUrl} {`).replace('reverse_proxy 127.0.0.1:3000', `reverse_proxy 127.0.0.1:${spyre.port}`);
		expect(local).not.toBe(shipped);
		fs.writeFileSync(path.join(dir, 'Caddyfile'), local);
		caddy = spawn('caddy', ['run', '--config', path.join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
			stdio: 'ignore',
			env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir }
		});
		const deadline = Date.now() + 15_000;
		for (;;) {
			try {
				if ((await fetch(`${proxyUrl}/healthz`)).ok) break;
			} catch {
				// not up yet
			}
			if (Date.now() > deadline) throw new Error('caddy did not come up');
			await new Promise((r) => setTimeout(r, 100));
		}
	});

	afterAll(async () => {
		if (caddy?.pid && caddy.exitCode === null) {
			const exited = new Promise((r) => caddy!.once('exit', r));
			process.kill(caddy.pid, 'SIGTERM');
			await exited;
		}
		await spyre?.stop();
		if (dir) fs.rmSync(dir, { recursive: true, force: true });
	});

	it('is a valid configuration for the real caddy', async () => {
		const { stdout, stderr } = await run('caddy', ['validate', '--config', path.join(REPO_ROOT, 'deploy/Caddyfile'), '--adapter', 'caddyfile']);
		expect(stdout + stderr).toMatch(/Valid configuration/);
	});

	it('proxies pages, a same-origin form post and the live-events WebSocket', async () => {
		const cookie = await setupAdmin(proxyUrl, 'admin', 'correct-horse-battery');
		const page = await fetch(`${proxyUrl}/settings`, { headers: { cookie } });
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('Audit log');
		const events = await openEvents(proxyUrl, cookie);
		const hello = await events.waitFor((m) => m.type === 'hello');
		expect(typeof hello.seq).toBe('number');
		events.close();
		// The audit log saw the client through the proxy (X-Forwarded-For from Caddy on loopback).
		const audit = await fetch(`${proxyUrl}/settings`, { headers: { cookie } });
		expect(await audit.text()).toContain('127.0.0.1');
	});
});

describe('deploy/spyre.service', () => {
	const unit = fs.readFileSync(path.join(REPO_ROOT, 'deploy/spyre.service'), 'utf8');
	it.each([
		'User=spyre',
		'Restart=on-failure',
		'NoNewPrivileges=true',
		'ProtectSystem=strict',
		'ReadWritePaths=@DATA_DIR@',
		'ExecStart=/usr/bin/env node @ROOT@/server.js',
		'Environment=SPYRE_CONFIG=@ROOT@/environment.yaml'
	])('has %s', (line) => {
		expect(unit.split('\n')).toContain(line);
	});
});

describe('setup.sh', () => {
	const script = path.join(REPO_ROOT, 'setup.sh');
	it('is valid bash with strict mode', async () => {
		await run('bash', ['-n', script]);
		expect(fs.readFileSync(script, 'utf8')).toContain('set -euo pipefail');
	});
	it('explains itself and refuses unknown commands clearly', async () => {
		const help = await run('bash', [script, '--help']);
		expect(help.stdout).toMatch(/demo/);
		expect(help.stdout).toMatch(/--proxmox-url/);
		const bad = await run('bash', [script, 'frobnicate']).catch((e: { code: number; stderr: string }) => e);
		expect((bad as { code: number }).code).not.toBe(0);
		expect((bad as { stderr: string }).stderr).toMatch(/unknown command 'frobnicate'/);
	});
});
