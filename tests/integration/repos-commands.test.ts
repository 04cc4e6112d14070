// The clone and push commands (src/lib/server/repos/commands.ts) run by a real shell and real git against
// the local git server (tests/helpers/git-server.ts) on loopback, without a container: the credential
// session (ssh-agent or credential-cache fed on stdin), the clone, the push, the failures, and that nothing
// of the secret is left behind (no session directory, no agent or daemon process, nothing in .git/config or
// a credential file). The same commands run in a CT in repos.test.ts.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupCommand, cloneCommand, parseSession, prepareCommand, pushCommand, tokenCredentialInput, type GitSession } from '../../src/lib/server/repos/commands';
import { classify } from '../../src/lib/server/repos/run';
import { gitRefProblem, gitUrlProblem, normaliseRepoPath } from '../../src/lib/shared/validation/git';
import { startGitServer, type GitServer } from '../helpers/git-server';

let server: GitServer;
let home: string;

/**
 * Run a command as the runner does: /bin/sh -c, in HOME, with stdin when given. Asynchronous: the HTTP
 * side of the git server answers from this process's event loop.
 */
function sh(cmd: string, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		const child = spawn('/bin/sh', ['-c', cmd], { cwd: home, env: { PATH: process.env.PATH, HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
		child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
		const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve({ code, stdout, stderr });
		});
		child.stdin.end(stdin ?? '');
	});
}

async function session(kind: 'ssh_key' | 'token', secret: string, knownHosts: string | null): Promise<GitSession> {
	const r = await sh(prepareCommand(kind, 120, knownHosts), secret);
	expect(r.code, r.stderr).toBe(0);
	const s = parseSession(kind, r.stdout, knownHosts !== null);
	expect(s).not.toBeNull();
	return s!;
}

const tokenInput = () => tokenCredentialInput('http', server.host, server.httpPort, server.httpUser, server.httpToken);

/** Every process of ours that could hold a secret: ssh-agents and credential-cache daemons with a session socket. */
function holders(): string[] {
	const out = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout;
	return out.split('\n').filter((l) => l.includes('/tmp/spyre-git.') && !l.includes('ps -eo'));
}

/** Nothing of the secret left: no session dir, no holder process, no credential file, not in .git/config. */
function expectNothingLeft(s: GitSession, secret: string, repoDir?: string): void {
	expect(fs.existsSync(s.dir)).toBe(false);
	expect(holders()).toEqual([]);
	expect(fs.existsSync(path.join(home, '.git-credentials'))).toBe(false);
	if (repoDir) expect(fs.readFileSync(path.join(home, repoDir, '.git', 'config'), 'utf8')).not.toContain(secret.split('\n')[1] ?? secret);
	const grep = spawnSync('grep', ['-rlF', secret.split('\n')[1] ?? secret, home], { encoding: 'utf8' });
	expect(grep.stdout).toBe('');
}

beforeAll(async () => {
	server = await startGitServer({ host: '127.0.0.1' });
	server.createRepo('app', { 'README.md': '# app\n', 'src/index.js': 'console.log(1);\n' });
	server.createRepo('site');
	server.createRepo('locked');
	server.refusePushes('locked', 'pushes to locked are closed');
	home = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-repos-home-'));
});

afterAll(async () => {
	// Any holder a failed test left: ours, found by our session paths, ended by PID.
	for (const line of holders()) {
		const pid = Number(line.trim().split(/\s+/)[0]);
		if (pid > 1) process.kill(pid, 'SIGKILL');
	}
	await server?.stop();
	if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe('clone and push with the credential held for one command', () => {
	it('clones over SSH with a deploy key and pinned known_hosts, and pushes a branch', async () => {
		const s = await session('ssh_key', server.deployKey, server.knownHostsLine);
		const r = await sh(cloneCommand({ url: server.sshUrl('app'), ref: 'main', path: 'work/app', depth: null, commit: false }, s));
		expect(r.code, r.stderr).toBe(0);
		expect(fs.readFileSync(path.join(home, 'work/app/src/index.js'), 'utf8')).toContain('console.log');
		expectNothingLeft(s, server.deployKey, 'work/app');

		execFileSync('sh', ['-c', 'git checkout -q -b spyre/t1 && echo x > x && git add x && git -c user.name=t -c user.email=t@t commit -qm x'], { cwd: path.join(home, 'work/app') });
		const p = await session('ssh_key', server.deployKey, server.knownHostsLine);
		const pushed = await sh(pushCommand(server.sshUrl('app'), 'work/app', 'spyre/t1', p));
		expect(pushed.code, pushed.stderr).toBe(0);
		expect(server.branchHead('app', 'spyre/t1')).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: path.join(home, 'work/app'), encoding: 'utf8' }).trim());
		expectNothingLeft(p, server.deployKey, 'work/app');
	});

	it('clones over HTTP with a token sent only to its server, and pushes', async () => {
		const s = await session('token', tokenInput(), null);
		const r = await sh(cloneCommand({ url: server.httpUrl('site'), ref: 'main', path: 'site', depth: 1, commit: false }, s));
		expect(r.code, r.stderr).toBe(0);
		expect(server.httpAuth).toContain(`${server.httpUser}:${server.httpToken}`);
		expect(execFileSync('git', ['rev-list', '--count', 'HEAD'], { cwd: path.join(home, 'site'), encoding: 'utf8' }).trim()).toBe('1');
		expectNothingLeft(s, server.httpToken, 'site');

		execFileSync('sh', ['-c', 'git checkout -q -b spyre/t2 && echo y > y && git add y && git -c user.name=t -c user.email=t@t commit -qm y'], { cwd: path.join(home, 'site') });
		const p = await session('token', tokenInput(), null);
		const pushed = await sh(pushCommand(server.httpUrl('site'), 'site', 'spyre/t2', p));
		expect(pushed.code, pushed.stderr).toBe(0);
		expect(server.branchHead('site', 'spyre/t2')).not.toBeNull();
		expectNothingLeft(p, server.httpToken, 'site');
	});

	it('a clone that is already there is left alone; another repo at the path is refused', async () => {
		const again = await sh(cloneCommand({ url: server.sshUrl('app'), ref: 'main', path: 'work/app', depth: null, commit: false }, null));
		expect(again.code, again.stderr).toBe(0);
		expect(again.stdout).toContain('left as it is');
		const other = await sh(cloneCommand({ url: server.httpUrl('app'), ref: 'main', path: 'work/app', depth: null, commit: false }, null));
		expect(other.code).not.toBe(0);
		expect(other.stderr).toContain('clone of another repository');
	});

	it('a wrong token fails as a refused credential, with no prompt and nothing left behind', async () => {
		const s = await session('token', tokenCredentialInput('http', server.host, server.httpPort, server.httpUser, 'wrong-token'), null);
		const r = await sh(cloneCommand({ url: server.httpUrl('app'), ref: 'main', path: 'bad-token', depth: null, commit: false }, s));
		expect(r.code).not.toBe(0);
		expect(classify(r.stderr.split('\n')).failure).toBe('credential');
		expect(fs.existsSync(path.join(home, 'bad-token'))).toBe(false);
		expectNothingLeft(s, 'wrong-token');
	});

	it('a repository that does not exist fails as not found', async () => {
		const s = await session('ssh_key', server.deployKey, server.knownHostsLine);
		const r = await sh(cloneCommand({ url: server.sshUrl('nope'), ref: 'main', path: 'nope', depth: null, commit: false }, s));
		expect(r.code).not.toBe(0);
		expect(classify(r.stderr.split('\n')).failure).toBe('not_found');
		expect(fs.existsSync(path.join(home, 'nope'))).toBe(false);
		expectNothingLeft(s, server.deployKey);
	});

	it('a refused push fails as refused, with the server hook message', async () => {
		const clone = await sh(cloneCommand({ url: server.sshUrl('locked'), ref: 'main', path: 'locked', depth: null, commit: false }, await session('ssh_key', server.deployKey, server.knownHostsLine)));
		expect(clone.code, clone.stderr).toBe(0);
		execFileSync('sh', ['-c', 'git checkout -q -b spyre/t3 && echo z > z && git add z && git -c user.name=t -c user.email=t@t commit -qm z'], { cwd: path.join(home, 'locked') });
		const s = await session('ssh_key', server.deployKey, server.knownHostsLine);
		const r = await sh(pushCommand(server.sshUrl('locked'), 'locked', 'spyre/t3', s));
		expect(r.code).not.toBe(0);
		const lines = (r.stdout + r.stderr).split('\n');
		expect(classify(lines).failure).toBe('refused');
		expect(r.stderr).toContain('pushes to locked are closed');
		expectNothingLeft(s, server.deployKey);
	});

	it('a changed host key is refused when known_hosts pins the server', async () => {
		const wrong = server.knownHostsLine.replace(/ \S+$/, ' AAAAC3NzaC1lZDI1NTE5AAAAIBvWkm0cXk3GQ5Ojz7wQcC0pQ1F0Zl2b5m2s0mJ9v8Xs');
		const s = await session('ssh_key', server.deployKey, wrong);
		const r = await sh(cloneCommand({ url: server.sshUrl('app'), ref: 'main', path: 'pinned', depth: null, commit: false }, s));
		expect(r.code).not.toBe(0);
		expect(classify(r.stderr.split('\n')).failure).toBe('host_key');
		expectNothingLeft(s, server.deployKey);
	});

	it('a commit id is checked out detached', async () => {
		const head = server.branchHead('app', 'main')!;
		const r = await sh(cloneCommand({ url: server.sshUrl('app'), ref: head, path: 'at-commit', depth: null, commit: true }, await session('ssh_key', server.deployKey, server.knownHostsLine)));
		expect(r.code, r.stderr).toBe(0);
		expect(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: path.join(home, 'at-commit'), encoding: 'utf8' }).trim()).toBe(head);
	});

	it('shell metacharacters in a URL, ref or path are refused by the rules, and harmless if they got through', async () => {
		const canary = path.join(home, 'pwned');
		const hostile = { url: `https://127.0.0.1:9/$(touch ${canary})\`touch ${canary}\`;touch ${canary}`, ref: `main;touch ${canary}`, path: `x$(touch ${canary})`, depth: null, commit: false };
		expect(gitUrlProblem(hostile.url)).not.toBeNull();
		expect(gitRefProblem(hostile.ref)).not.toBeNull();
		expect(normaliseRepoPath(hostile.path)).toHaveProperty('problem');
		const r = await sh(cloneCommand(hostile, null));
		expect(r.code).not.toBe(0);
		const p = await sh(pushCommand(hostile.url, hostile.path, hostile.ref, null));
		expect(p.code).not.toBe(0);
		expect(fs.existsSync(canary)).toBe(false);
	});

	it('cleanup is safe to run twice', async () => {
		const s = await session('token', tokenInput(), null);
		expect((await sh(cleanupCommand(s))).code).toBe(0);
		expect((await sh(cleanupCommand(s))).code).toBe(0);
		expect(fs.existsSync(s.dir)).toBe(false);
	});
});
