// A real `caddy` in front of a test's Spyre, as deploy/Caddyfile puts it in production but on plain HTTP:
// one site (`http://SITE:PORT`, bound to 127.0.0.1) that reverse-proxies to Spyre, and the admin API on
// its own loopback port, where Spyre adds its service routes. Stopped by PID; its temp dir is removed.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export interface RunningCaddy {
	/** The public listener's port (on 127.0.0.1). */
	port: number;
	/** `http://127.0.0.1:ADMIN`, for Spyre's `caddy.admin_url`. */
	adminUrl: string;
	pid: number;
	/** The JSON text of the site server's route list, as the admin API gives it. */
	routes(): Promise<string>;
	/** A GET to the public listener with this Host header (no DNS needed). */
	get(host: string, pathname: string, headers?: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;
	/** SIGTERM by PID, wait for the exit (SIGKILL after 5 s), remove the temp dir. Idempotent. */
	stop(): Promise<void>;
}

export interface StartCaddyOptions {
	/** The site's host name, Spyre's public host (e.g. `spyre.localhost`). */
	siteHost: string;
	port: number;
	adminPort: number;
	/** `host:port` of Spyre. */
	upstream: string;
	timeoutMs?: number;
}

function get(port: number, host: string, pathname: string, headers: Record<string, string> = {}) {
	return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port, path: pathname, headers: { host, ...headers } }, (res) => {
			let body = '';
			res.setEncoding('utf8').on('data', (d: string) => (body += d));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
		});
		req.on('error', reject);
		req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
		req.end();
	});
}

export async function startCaddy(o: StartCaddyOptions): Promise<RunningCaddy> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-caddy-'));
	const config = path.join(dir, 'Caddyfile');
	fs.writeFileSync(
		config,
		`{
	admin 127.0.0.1:${o.adminPort}
	auto_https off
}
http://${o.siteHost}:${o.port} {
	bind 127.0.0.1
	reverse_proxy ${o.upstream}
}
`
	);
	let out = '';
	// HOME and XDG dirs in the temp dir: Caddy's autosave and storage stay out of the real home.
	const child: ChildProcess = spawn('caddy', ['run', '--config', config, '--adapter', 'caddyfile'], {
		stdio: ['ignore', 'pipe', 'pipe'],
		env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir }
	});
	child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
	child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	let stopped: Promise<void> | null = null;
	const stop = () =>
		(stopped ??= (async () => {
			if (child.pid && child.exitCode === null && child.signalCode === null) {
				process.kill(child.pid, 'SIGTERM');
				const t = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 5000);
				await exited;
				clearTimeout(t);
			}
			fs.rmSync(dir, { recursive: true, force: true });
		})());
	const adminUrl = `http://127.0.0.1:${o.adminPort}`;
	const deadline = Date.now() + (o.timeoutMs ?? 15_000);
	for (;;) {
		// Ready once the site answers: Spyre's /healthz through the reverse proxy.
		const status = await get(o.port, `${o.siteHost}:${o.port}`, '/healthz').then(
			(r) => r.status,
			() => 0
		);
		if (status === 200) break;
		if (child.exitCode !== null || Date.now() > deadline) {
			await stop();
			throw new Error(`caddy did not start (last status ${status}):\n${out.slice(-2000)}`);
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	return {
		port: o.port,
		adminUrl,
		pid: child.pid!,
		async routes() {
			const servers = (await (await fetch(`${adminUrl}/config/apps/http/servers`)).json()) as Record<string, { routes?: unknown[] }>;
			return JSON.stringify(Object.values(servers).map((s) => s.routes ?? []));
		},
		get: (host, pathname, headers) => get(o.port, host, pathname, headers),
		stop
	};
}
