// A local git server for integration tests, over SSH (a throwaway OpenSSH with one authorised deploy key,
// limited to git-shell) and over smart HTTP (`git http-backend` behind a small Node server with basic
// auth), with bare repositories the test makes. It listens on the address the test gives: for a CT of the
// simulator to reach it, the bridge's gateway (the only host address a CT reaches) on ports the test then
// exposes with setGatewayPorts. Running it on the host rather than in a CT of its own keeps it out of the
// environment under test (nothing a test does in the CT can touch the server) and needs no packages in a
// CT. `stop()` kills sshd and its children by PID and closes the HTTP server; call it in afterAll.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface GitServer {
	host: string;
	sshPort: number;
	httpPort: number;
	/** The deploy key's private half (OpenSSH format), as a person pastes it into Spyre. */
	deployKey: string;
	/** `[host]:port ssh-ed25519 AAAA…`: the server's host key as a known_hosts line. */
	knownHostsLine: string;
	/** Basic-auth user and token the HTTP side accepts. */
	httpUser: string;
	httpToken: string;
	/** Every Authorization header the HTTP side saw, decoded as user:password (to check what was sent). */
	readonly httpAuth: string[];
	/** ssh://root@host:port/…/NAME.git */
	sshUrl(name: string): string;
	/** http://host:port/NAME.git */
	httpUrl(name: string): string;
	/** A bare repository NAME.git with one commit on `main` holding `files`; returns that commit. */
	createRepo(name: string, files?: Record<string, string>): string;
	/** Refuse every push to NAME.git with a pre-receive hook that prints `message`. */
	refusePushes(name: string, message: string): void;
	/** The commit a branch points at in NAME.git, or null. */
	branchHead(name: string, branch: string): string | null;
	stop(): Promise<void>;
}

const git = (cwd: string, ...args: string[]) =>
	execFileSync('git', ['-c', 'user.name=Spyre Test', '-c', 'user.email=test@spyre.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();

async function freePort(host: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.once('error', reject);
		srv.listen(0, host, () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
	});
}

async function waitForBanner(host: string, port: number, proc: ChildProcess, log: () => string): Promise<void> {
	const end = Date.now() + 10_000;
	while (Date.now() < end) {
		if (proc.exitCode !== null) throw new Error(`git-server sshd exited with ${proc.exitCode}: ${log()}`);
		const ok = await new Promise<boolean>((resolve) => {
			const s = net.connect(port, host);
			s.setTimeout(500);
			s.once('data', (d) => (s.destroy(), resolve(d.toString().startsWith('SSH-'))));
			s.once('error', () => resolve(false));
			s.once('timeout', () => (s.destroy(), resolve(false)));
		});
		if (ok) return;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error(`git-server sshd did not start on ${host}:${port}: ${log()}`);
}

function descendants(pid: number): number[] {
	let children: number[] = [];
	try {
		children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
			.split('\n')
			.filter(Boolean)
			.map(Number);
	} catch {
		// None.
	}
	return children.flatMap((c) => [c, ...descendants(c)]);
}

/** The CGI answer of `git http-backend`: headers (Status among them) until a blank line, then the body. */
function cgiResponse(out: Buffer, res: http.ServerResponse): void {
	let split = out.indexOf('\r\n\r\n');
	let sep = 4;
	if (split < 0) {
		split = out.indexOf('\n\n');
		sep = 2;
	}
	const head = out.subarray(0, Math.max(split, 0)).toString('latin1');
	let status = 200;
	const headers: Record<string, string> = {};
	for (const line of head.split(/\r?\n/)) {
		const i = line.indexOf(':');
		if (i < 0) continue;
		const k = line.slice(0, i).trim();
		const v = line.slice(i + 1).trim();
		if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]) || 200;
		else headers[k] = v;
	}
	res.writeHead(status, headers);
	res.end(split < 0 ? out : out.subarray(split + sep));
}

export async function startGitServer(opts: { host: string }): Promise<GitServer> {
	const { host } = opts;
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-git-server-'));
	const repos = path.join(dir, 'repos');
	fs.mkdirSync(repos);
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'git-server-host', '-f', path.join(dir, 'host_ed25519')]);
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'spyre-deploy-key', '-f', path.join(dir, 'deploy')]);
	const deployPub = fs.readFileSync(path.join(dir, 'deploy.pub'), 'utf8').trim();
	// git-shell only: the deploy key can fetch and push, never run a command of its own.
	fs.writeFileSync(path.join(dir, 'authorized_keys'), `restrict,command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"" ${deployPub}\n`);
	const sshPort = await freePort(host);
	const config = path.join(dir, 'sshd_config');
	fs.writeFileSync(
		config,
		[
			`ListenAddress ${host}:${sshPort}`,
			`HostKey ${path.join(dir, 'host_ed25519')}`,
			`PidFile ${path.join(dir, 'sshd.pid')}`,
			`AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
			'PubkeyAuthentication yes',
			'PasswordAuthentication no',
			'KbdInteractiveAuthentication no',
			'UsePAM no',
			'StrictModes no',
			'PermitRootLogin prohibit-password',
			'LogLevel ERROR',
			''
		].join('\n')
	);
	fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
	let log = '';
	const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
	sshd.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
	await waitForBanner(host, sshPort, sshd, () => log);

	const httpUser = 'spyre-bot';
	const httpToken = `tok_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
	const httpAuth: string[] = [];
	const server = http.createServer((req, res) => {
		const auth = req.headers.authorization ?? '';
		const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
		if (decoded) httpAuth.push(decoded);
		if (decoded !== `${httpUser}:${httpToken}`) {
			res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
			res.end('authentication required\n');
			return;
		}
		const url = new URL(req.url ?? '/', 'http://x');
		const cgi = spawn('git', ['http-backend'], {
			env: {
				PATH: process.env.PATH,
				GIT_PROJECT_ROOT: repos,
				GIT_HTTP_EXPORT_ALL: '1',
				REMOTE_USER: httpUser,
				REMOTE_ADDR: req.socket.remoteAddress ?? '',
				REQUEST_METHOD: req.method ?? 'GET',
				PATH_INFO: decodeURIComponent(url.pathname),
				QUERY_STRING: url.search.slice(1),
				CONTENT_TYPE: req.headers['content-type'] ?? '',
				HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
				GIT_PROTOCOL: String(req.headers['git-protocol'] ?? '')
			},
			stdio: ['pipe', 'pipe', 'ignore']
		});
		const out: Buffer[] = [];
		cgi.stdout.on('data', (b: Buffer) => out.push(b));
		cgi.on('close', () => cgiResponse(Buffer.concat(out), res));
		req.pipe(cgi.stdin);
	});
	const httpPort = await new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port)));

	const hostKey = fs.readFileSync(path.join(dir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
	const bare = (name: string) => path.join(repos, `${name}.git`);

	return {
		host,
		sshPort,
		httpPort,
		deployKey: fs.readFileSync(path.join(dir, 'deploy'), 'utf8'),
		knownHostsLine: `[${host}]:${sshPort} ${hostKey}`,
		httpUser,
		httpToken,
		httpAuth,
		sshUrl: (name) => `ssh://root@${host}:${sshPort}${bare(name)}`,
		httpUrl: (name) => `http://${host}:${httpPort}/${name}.git`,
		createRepo(name, files = { 'README.md': `# ${name}\n` }) {
			const work = fs.mkdtempSync(path.join(dir, 'work-'));
			git(work, 'init', '-q');
			for (const [file, content] of Object.entries(files)) {
				fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
				fs.writeFileSync(path.join(work, file), content);
			}
			git(work, 'add', '-A');
			git(work, 'commit', '-q', '-m', `initial ${name}`);
			execFileSync('git', ['clone', '-q', '--bare', work, bare(name)]);
			fs.rmSync(work, { recursive: true, force: true });
			return git(bare(name), 'rev-parse', 'refs/heads/main');
		},
		refusePushes(name, message) {
			const hook = path.join(bare(name), 'hooks', 'pre-receive');
			fs.writeFileSync(hook, `#!/bin/sh\necho ${JSON.stringify(message)} >&2\nexit 1\n`, { mode: 0o755 });
		},
		branchHead(name, branch) {
			try {
				return git(bare(name), 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
			} catch {
				return null;
			}
		},
		async stop() {
			const closed = new Promise<void>((r) => server.close(() => r()));
			server.closeAllConnections();
			await closed;
			if (sshd.pid && sshd.exitCode === null) {
				const pids = [sshd.pid, ...descendants(sshd.pid)];
				const exited = new Promise<void>((r) => sshd.once('exit', () => r()));
				for (const pid of pids) {
					try {
						process.kill(pid, 'SIGKILL');
					} catch {
						// Gone already.
					}
				}
				await exited;
			}
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}
