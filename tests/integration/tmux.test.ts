import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHostKeyStore, type SshPool, type SshTarget } from '../../src/lib/server/ssh';
import * as tmux from '../../src/lib/server/terminal/tmux-controller';
import { killLocalTmuxSessions, startSshd, testPool, type TestSshd } from '../helpers/sshd';

let sshd: TestSshd;
let pool: SshPool;
let target: SshTarget;
const session = `spyre-t${process.pid}${Date.now().toString(36)}`;
const opts = () => ({ session, pool });

async function sh(cmd: string): Promise<string> {
	return (await pool.exec(target, cmd)).stdout;
}

function collect(stream: NodeJS.ReadableStream): { text: () => string } {
	let out = '';
	stream.on('data', (d: Buffer) => (out += d.toString('utf8')));
	return { text: () => out };
}

/** tmux is attached once it has drawn a prompt; keys typed before that would go to the bare PTY. */
async function attached(out: { text: () => string }) {
	await waitFor(() => /\$ $|# $|# \x1b\[K/.test(out.text()) || out.text().includes('\x1b[2J'));
	await new Promise((r) => setTimeout(r, 150));
}

async function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
	const end = Date.now() + ms;
	while (!pred()) {
		if (Date.now() > end) throw new Error('timed out waiting');
		await new Promise((r) => setTimeout(r, 25));
	}
}

beforeAll(async () => {
	sshd = await startSshd();
	pool = testPool(sshd, { hostKeys: memoryHostKeyStore() });
	target = { envId: 'tmux-test', host: sshd.host };
});

afterAll(async () => {
	try {
		if (sshd && !sshd.running) await sshd.restart();
		if (pool) await tmux.killSession(target, opts()).catch(() => {});
		killLocalTmuxSessions(sshd, session);
	} finally {
		await pool?.closeAll();
		await sshd?.destroy();
	}
});

describe('tmux-controller', () => {
	it('ensureSession is idempotent under concurrency and applies the browser config', async () => {
		await Promise.all([tmux.ensureSession(target, opts()), tmux.ensureSession(target, opts()), tmux.ensureSession(target, opts())]);
		await tmux.ensureSession(target, opts());
		const windows = await tmux.listWindows(target, opts());
		expect(windows).toHaveLength(1);
		expect(windows[0]).toMatchObject({ index: 0, active: true });
		expect(windows[0].id).toMatch(/^@\d+$/);
		const show = await sh(`tmux -L spyre show-options -g; tmux -L spyre show-options -s`);
		expect(show).toMatch(/^status off$/m);
		expect(show).toMatch(/^mouse off$/m);
		expect(show).toMatch(/^history-limit 50000$/m);
		expect(show).toMatch(/^escape-time 0$/m);
		expect(show).toMatch(/^default-terminal "?xterm-256color"?$/m);
		expect(show).toMatch(/smcup@:rmcup@/);
		// The first window was created after the config was read, so it has the big history too.
		expect(await sh(`tmux -L spyre display-message -p -t '=${session}:0' '#{history_limit}'`)).toBe('50000\n');
		// This run's tmux server is its own (the test sshd's TMUX_TMPDIR), never the machine-wide one.
		expect(await sh(`tmux -L spyre display-message -p '#{socket_path}'`)).toBe(`${sshd.tmuxDir}/tmux-${process.getuid!()}/spyre\n`);
	});

	it('creates, renames and kills windows; hostile names round-trip literally and run nothing', async () => {
		const marker = `/tmp/spyre-tmux-pwned-${process.pid}`;
		fs.rmSync(marker, { force: true });
		const hostile = [`$(touch ${marker})`, "a'b;c", '`touch ' + marker + '`', 'x"; touch ' + marker + '; "', 'naïve — 日本 🚀', '-t evil'];
		const created: tmux.TmuxWindow[] = [];
		for (const name of hostile) created.push(await tmux.createWindow(target, name, opts()));
		const windows = await tmux.listWindows(target, opts());
		expect(windows.map((w) => w.name).slice(1)).toEqual(hostile);
		expect(fs.existsSync(marker)).toBe(false);

		const unnamed = await tmux.createWindow(target, undefined, opts());
		expect(unnamed.index).toBe(created.at(-1)!.index + 1);

		await tmux.renameWindow(target, created[0].index, `$(touch ${marker}) renamed`, opts());
		expect((await tmux.listWindows(target, opts())).find((w) => w.index === created[0].index)?.name).toBe(`$(touch ${marker}) renamed`);
		expect(fs.existsSync(marker)).toBe(false);

		for (const w of [...created, unnamed]) await tmux.killWindow(target, w.index, opts());
		expect((await tmux.listWindows(target, opts())).map((w) => w.index)).toEqual([0]);
	});

	it('validates window names and indexes before touching tmux', async () => {
		for (const bad of ['   ', 'a\nb', 'tab\there', 'esc\x1b[31m', 'x'.repeat(65)]) {
			await expect(tmux.createWindow(target, bad, opts())).rejects.toMatchObject({ code: 'validation' });
		}
		await expect(tmux.renameWindow(target, 0, '', opts())).rejects.toMatchObject({ code: 'validation' });
		await expect(tmux.renameWindow(target, -1, 'ok', opts())).rejects.toMatchObject({ code: 'validation' });
		await expect(tmux.killWindow(target, 1.5, opts())).rejects.toMatchObject({ code: 'validation' });
		await expect(tmux.listWindows(target, { ...opts(), session: 'bad name' })).rejects.toMatchObject({ code: 'validation' });
		await expect(tmux.killWindow(target, 4242, opts())).rejects.toMatchObject({ code: 'not_found' });
	});

	it('attaches two clients to different windows without yanking each other', async () => {
		const w1 = await tmux.createWindow(target, 'second', opts());
		const a = await tmux.attachToWindow(target, 0, { ...opts(), cols: 100, rows: 30 });
		const b = await tmux.attachToWindow(target, w1.index, { ...opts(), cols: 90, rows: 20 });
		const outA = collect(a.pty.stream);
		const outB = collect(b.pty.stream);
		await attached(outA);
		await attached(outB);
		a.pty.stream.write('echo win$((1+1))zero\r');
		b.pty.stream.write('echo win$((2+2))one\r');
		await waitFor(() => outA.text().includes('win2zero') && outB.text().includes('win4one'));
		expect(outA.text()).not.toContain('win4one');
		expect(outB.text()).not.toContain('win2zero');
		// Each browser connection has its own grouped session; the main session is untouched.
		const sessions = await sh(`tmux -L spyre list-sessions -F '#{session_name} #{session_group}'`);
		expect(sessions).toContain(`${a.clientSession} ${session}`);
		expect(sessions).toContain(`${b.clientSession} ${session}`);
		expect((await tmux.listWindows(target, opts())).find((w) => w.active)?.index).toBe(0);

		await a.detach();
		await b.detach();
		await waitFor(() => pool.stats().channels === 0);
		const after = await sh(`tmux -L spyre list-sessions -F '#{session_name}'`);
		expect(after).not.toContain(a.clientSession);
		expect(after).not.toContain(b.clientSession);
		expect(after).toContain(session);
		await tmux.killWindow(target, w1.index, opts());
	});

	it('captures history that scrolled off, so a reattach can replay it', async () => {
		const w = await tmux.createWindow(target, 'history', opts());
		const first = await tmux.attachToWindow(target, w.index, { ...opts(), cols: 80, rows: 10 });
		const out = collect(first.pty.stream);
		await attached(out);
		first.pty.stream.write('for i in $(seq 1 60); do echo hist-line-$i; done; echo do${""}ne\r');
		await waitFor(() => out.text().includes('done'));
		await first.detach();
		// Produced while nobody is attached.
		await sh(`tmux -L spyre send-keys -t '=${session}:${w.index}' 'for i in $(seq 1 40); do echo away-$i; done' Enter`);
		await new Promise((r) => setTimeout(r, 400));
		const history = await tmux.captureHistory(target, w.index, 1000, opts());
		expect(history).toContain('hist-line-1\x1b[0m\r\n');
		expect(history).toContain('away-20');
		expect(history).not.toMatch(/[^\r]\n/); // CRLF only
		// tmux's own redraw on attach shows only the visible screen: the replay is what brings the rest back.
		const again = await tmux.attachToWindow(target, w.index, { ...opts(), cols: 80, rows: 10 });
		const redraw = collect(again.pty.stream);
		await waitFor(() => redraw.text().includes('away-40'));
		await new Promise((r) => setTimeout(r, 200));
		expect(redraw.text()).not.toContain('hist-line-1\r');
		await again.detach();
		await tmux.killWindow(target, w.index, opts());
	});

	it('killSession removes the session and its grouped sessions', async () => {
		const s2 = `${session}-kill`;
		await tmux.ensureSession(target, { session: s2, pool });
		const att = await tmux.attachToWindow(target, 0, { session: s2, pool, cols: 80, rows: 24 });
		await attached(collect(att.pty.stream));
		await tmux.killSession(target, { session: s2, pool });
		await att.pty.closed;
		const left = await sh(`tmux -L spyre list-sessions -F '#{session_name}' 2>/dev/null; true`);
		expect(left).not.toContain(s2);
		// Killing a session that does not exist is not an error.
		await tmux.killSession(target, { session: s2, pool });
	});
});
