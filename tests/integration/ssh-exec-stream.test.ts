// Streaming exec and SFTP against a real OpenSSH server: lines arrive while the command runs, exit codes
// come back without throwing, 100 MB of output keeps memory bounded, timeouts and aborts kill the remote
// process group, hostile strings go through quote() intact, and file writes are atomic and exact.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpyreError } from '../../src/lib/server/errors';
import { command, quote } from '../../src/lib/server/shell';
import { memoryHostKeyStore, type SshPool, type SshTarget } from '../../src/lib/server/ssh';
import { startSshd, testPool, type TestSshd } from '../helpers/sshd';

let sshd: TestSshd;
let pool: SshPool;
let target: SshTarget;
// Unique per run, so pgrep never sees another test's processes.
const tag = `${process.pid}${Date.now() % 100000}`;

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

/** Whether a process whose command line contains `needle` runs in the environment (asked over SSH). */
async function remoteRunning(needle: string): Promise<boolean> {
	// The [x] trick keeps pgrep's own shell from matching the pattern.
	const pattern = `[${needle[0]}]${needle.slice(1)}`;
	const r = await pool.exec(target, `pgrep -f ${quote(pattern)} >/dev/null && echo yes || echo no`);
	return r.stdout.trim() === 'yes';
}

async function waitGone(needle: string, ms = 3000): Promise<boolean> {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		if (!(await remoteRunning(needle))) return true;
		await new Promise((r) => setTimeout(r, 100));
	}
	return false;
}

beforeAll(async () => {
	sshd = await startSshd();
	pool = testPool(sshd, { hostKeys: memoryHostKeyStore() });
	target = { envId: 'stream-test', host: sshd.host };
});

afterAll(async () => {
	// If a kill test failed, its sleeper would outlive sshd (it is in its own session): remove exactly
	// those, by this run's unique tag.
	await pool?.exec(target, `pkill -KILL -f ${quote(`[s]leep [0-9]+${tag}`)}; true`, { timeoutMs: 5000 }).catch(() => {});
	await pool?.closeAll();
	await sshd?.destroy();
});

describe('execStream', () => {
	it('delivers lines in order while the command runs, stdout and stderr apart', async () => {
		// stdout and stderr are two streams: their relative order is only defined across a pause.
		const seen: Array<{ line: string; stream: string; at: number }> = [];
		let chunks = '';
		let errChunks = '';
		const t0 = Date.now();
		const r = await pool.execStream(target, 'for i in 1 2 3; do echo line$i; sleep 0.3; done; echo oops >&2; sleep 0.2; printf tail', {
			onLine: (line, stream) => seen.push({ line, stream, at: Date.now() - t0 }),
			onStdout: (c) => (chunks += c),
			onStderr: (c) => (errChunks += c)
		});
		const end = Date.now() - t0;
		expect(seen.map((s) => `${s.stream}:${s.line}`)).toEqual(['stdout:line1', 'stdout:line2', 'stdout:line3', 'stderr:oops', 'stdout:tail']);
		// The first line came long before the command ended: streamed, not buffered.
		expect(end - seen[0].at).toBeGreaterThan(500);
		expect(chunks).toBe('line1\nline2\nline3\ntail');
		expect(errChunks).toBe('oops\n');
		expect(r).toMatchObject({ code: 0, signal: null, timedOut: false, cancelled: false, truncated: false });
		expect(r.output).toBe('line1\nline2\nline3\noops\ntail');
		expect(pool.stats().channels).toBe(0);
	});

	it('returns exit codes and signals instead of throwing', async () => {
		expect(await pool.execStream(target, 'echo before; exit 7')).toMatchObject({ code: 7, signal: null, output: 'before\n' });
		const missing = await pool.execStream(target, 'no-such-command-spyre');
		expect(missing.code).toBe(127);
		expect(missing.output).toMatch(/not found/);
		const killed = await pool.execStream(target, 'kill -TERM $$');
		expect(killed).toMatchObject({ code: null, signal: 'SIGTERM', timedOut: false, cancelled: false });
		// A command that reads stdin gets an immediate EOF, not a hang.
		expect(await pool.execStream(target, 'cat; echo read-done', { timeoutMs: 5000 })).toMatchObject({ code: 0, timedOut: false, output: 'read-done\n' });
		// A syntax error is the command's failure, reported by its shell.
		expect((await pool.execStream(target, 'if then fi')).code).toBe(2);
	});

	it('keeps memory bounded for 100 MB of output and keeps its head and tail', async () => {
		const heap = () => process.memoryUsage().heapUsed;
		global.gc?.();
		const base = heap();
		let peak = base;
		const sampler = setInterval(() => (peak = Math.max(peak, heap())), 20);
		let lines = 0;
		const t0 = Date.now();
		const r = await pool.execStream(target, 'echo START; head -c 100000000 /dev/zero | tr "\\0" x; echo; echo THE-END', {
			onLine: () => void lines++
		});
		clearInterval(sampler);
		const secs = (Date.now() - t0) / 1000;
		expect(r.code).toBe(0);
		expect(r.truncated).toBe(true);
		expect(r.output.startsWith('START\nxxxx')).toBe(true);
		expect(r.output.endsWith('xxxx\nTHE-END\n')).toBe(true);
		expect(r.output).toMatch(/\n… \d+ bytes omitted …\n/);
		expect(r.output.length).toBeLessThan(128 * 1024 + 100);
		// The 100 MB line came out in bounded pieces (64 KiB each), not as one string.
		expect(lines).toBeGreaterThan(1500);
		// Garbage comes and goes, but nothing close to the 100 MB that went through is held.
		expect(peak - base).toBeLessThan(64 * 1024 * 1024);
		console.log(`[bench] 100 MB through execStream in ${secs.toFixed(1)} s, heap peak +${((peak - base) / 1048576).toFixed(1)} MiB`);
	}, 120_000);

	it('kills the whole remote process group on timeout', async () => {
		const needle = `sleep 313${tag}.5`;
		const lines: string[] = [];
		const t0 = Date.now();
		const r = await pool.execStream(target, `echo started; ${needle}; echo never`, { timeoutMs: 800, onLine: (l) => lines.push(l) });
		expect(Date.now() - t0).toBeLessThan(4000);
		expect(r).toMatchObject({ timedOut: true, cancelled: false, code: null });
		expect(lines).toEqual(['started']);
		expect(r.output).toBe('started\n');
		expect(await waitGone(needle)).toBe(true);
		expect(pool.stats().channels).toBe(0);
	});

	it('kills a pipeline in a subshell when the AbortSignal fires', async () => {
		const needle = `sleep 414${tag}.5`;
		const ctl = new AbortController();
		const p = pool.execStream(target, `(echo go; ${needle} | cat) ; echo never`, {
			signal: ctl.signal,
			onLine: (l) => {
				if (l === 'go') setTimeout(() => ctl.abort(), 200);
			}
		});
		const r = await p;
		expect(r).toMatchObject({ cancelled: true, timedOut: false, code: null });
		expect(r.output).toBe('go\n');
		expect(await waitGone(needle)).toBe(true);
	});

	it('does not start a command whose signal is already aborted', async () => {
		const ctl = new AbortController();
		ctl.abort();
		const file = `/root/should-not-exist-${tag}`;
		const r = await pool.execStream(target, command('touch', file), { signal: ctl.signal });
		expect(r).toEqual({ code: null, signal: null, timedOut: false, cancelled: true, output: '', truncated: false });
		expect(fs.existsSync(path.join(sshd.home, path.basename(file)))).toBe(false);
	});

	it('rejects when a callback throws, and stops the command', async () => {
		const needle = `sleep 515${tag}.5`;
		await expect(
			pool.execStream(target, `echo boom; ${needle}`, {
				onLine: () => {
					throw new Error('caller bug');
				}
			})
		).rejects.toThrow('caller bug');
		expect(await waitGone(needle)).toBe(true);
	});

	it('passes hostile strings through quote() unchanged and runs nothing from them', async () => {
		const canary = path.join(sshd.home, `pwned-${tag}`);
		const hostile = [
			`$(touch /root/pwned-${tag})`,
			`\`touch /root/pwned-${tag}\``,
			`'; touch /root/pwned-${tag}; echo '`,
			`"; touch /root/pwned-${tag}; echo "`,
			`a\nb; touch /root/pwned-${tag}`,
			'${HOME} $$ \\ | & ; < > * ? [ ] ~ # !',
			'ünïcødé ✓ 😀',
			'-n'
		];
		const lines: string[] = [];
		const r = await pool.execStream(target, command('printf', '%s\\n', ...hostile), { onLine: (l) => lines.push(l) });
		expect(r.code).toBe(0);
		expect(r.output).toBe(hostile.join('\n') + '\n');
		expect(lines).toEqual(hostile.join('\n').split('\n'));
		expect(fs.existsSync(canary)).toBe(false);
	});

	it('refuses a nonsensical timeout', async () => {
		await expectSpyreError(pool.execStream(target, 'true', { timeoutMs: -1 }), 'internal');
	});
});

describe('SFTP files', () => {
	const dir = () => path.join(sshd.home, 'files');
	beforeAll(() => fs.mkdirSync(path.join(sshd.home, 'files'), { recursive: true }));

	it('writes content and mode exactly, whatever the umask', async () => {
		const bytes = Buffer.from(Array.from({ length: 256 * 300 }, (_, i) => i % 256));
		await pool.writeFile(target, '/root/files/bin.dat', bytes, { mode: 0o751 });
		expect(fs.readFileSync(path.join(dir(), 'bin.dat')).equals(bytes)).toBe(true);
		expect((await pool.exec(target, 'stat -c %a /root/files/bin.dat')).stdout.trim()).toBe('751');
		await pool.writeFile(target, '/root/files/text.txt', 'héllo\n');
		expect(fs.readFileSync(path.join(dir(), 'text.txt'), 'utf8')).toBe('héllo\n');
		expect((await pool.exec(target, 'stat -c %a /root/files/text.txt')).stdout.trim()).toBe('644');
		expect((await pool.readFile(target, '/root/files/bin.dat')).equals(bytes)).toBe(true);
		await pool.writeFile(target, '/root/files/empty', '');
		expect((await pool.readFile(target, '/root/files/empty')).length).toBe(0);
	});

	it('replaces an existing file by rename (new inode), leaving no temp file behind', async () => {
		await pool.writeFile(target, '/root/files/conf', 'one\n', { mode: 0o600 });
		const inode = fs.statSync(path.join(dir(), 'conf')).ino;
		// A reader holding the old file keeps reading the old content: the new one is a different file.
		const fd = fs.openSync(path.join(dir(), 'conf'), 'r');
		await pool.writeFile(target, '/root/files/conf', 'two\n', { mode: 0o640 });
		expect(fs.readFileSync(fd, 'utf8')).toBe('one\n');
		fs.closeSync(fd);
		expect(fs.readFileSync(path.join(dir(), 'conf'), 'utf8')).toBe('two\n');
		expect(fs.statSync(path.join(dir(), 'conf')).ino).not.toBe(inode);
		expect(fs.statSync(path.join(dir(), 'conf')).mode & 0o7777).toBe(0o640);
		expect(fs.readdirSync(dir()).filter((f) => f.includes('.spyre-tmp-'))).toEqual([]);
	});

	it('writes hostile file names as plain names', async () => {
		const names = [`$(touch pwned-${tag})`, 'it\'s "quoted"', 'new\nline', 'semi;colon & amp | pipe', 'ünï 😀', '-rf', ' lead space'];
		for (const name of names) {
			await pool.writeFile(target, `/root/files/${name}`, `content of ${name}`);
			expect(fs.readFileSync(path.join(dir(), name), 'utf8')).toBe(`content of ${name}`);
			expect((await pool.readFile(target, `/root/files/${name}`)).toString()).toBe(`content of ${name}`);
		}
		expect(fs.existsSync(path.join(sshd.home, `pwned-${tag}`))).toBe(false);
		expect(fs.existsSync(path.join(dir(), `pwned-${tag}`))).toBe(false);
	});

	it('fails clearly and cleans up: missing directory, bad paths, too large', async () => {
		const missing = await expectSpyreError(pool.writeFile(target, '/root/no-such-dir/f', 'x'), 'not_found');
		expect(missing.message).toContain('/root/no-such-dir/f');
		await expectSpyreError(pool.writeFile(target, 'relative/file', 'x'), 'validation');
		await expectSpyreError(pool.writeFile(target, '/root/files/', 'x'), 'validation');
		await expectSpyreError(pool.writeFile(target, '/root/files/nul\0byte', 'x'), 'validation');
		await expectSpyreError(pool.writeFile(target, '/root/files/m', 'x', { mode: 0o10000 }), 'validation');
		await expectSpyreError(pool.readFile(target, '/root/files/nope'), 'not_found');
		await pool.writeFile(target, '/root/files/big', Buffer.alloc(100_000, 1));
		await expectSpyreError(pool.readFile(target, '/root/files/big', { maxBytes: 50_000 }), 'payload_too_large');
		// Writing over a directory fails at the rename; the temp file is removed.
		fs.mkdirSync(path.join(dir(), 'adir'), { recursive: true });
		fs.writeFileSync(path.join(dir(), 'adir', 'keep'), 'k');
		await expectSpyreError(pool.writeFile(target, '/root/files/adir', 'x'), 'ssh');
		expect(fs.readdirSync(dir()).filter((f) => f.includes('.spyre-tmp-'))).toEqual([]);
		expect(pool.stats().channels).toBe(0);
	});
});
