// tmux expands formats in window names: a tab named `#(id > FILE)` used to run `id` on the environment.
// Against real tmux over real sshd: the exact name from the report, through createWindow and
// renameWindow, must be stored literally and run nothing. A control step shows the probe can fail.

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHostKeyStore, type SshPool, type SshTarget } from '../../src/lib/server/ssh';
import { command } from '../../src/lib/server/shell';
import * as tmux from '../../src/lib/server/terminal/tmux-controller';
import { killLocalTmuxSessions, startSshd, testPool, type TestSshd } from '../helpers/sshd';

let sshd: TestSshd;
let pool: SshPool;
let target: SshTarget;
const session = `spyre-sec${process.pid}${Date.now().toString(36)}`;
const opts = () => ({ session, pool });
const canary = `/tmp/spyre-sec-tmux-${process.pid}`;
// #() jobs run asynchronously; give them time before looking.
const settle = () => new Promise((r) => setTimeout(r, 3000));
// Spyre's tmux server (`tmux -L spyre`) is shared by everything on this machine running as this user, and
// may have been started inside another mount namespace (a simulated CT), where its jobs would write to a
// different /tmp. So besides the canary file, the probes check what tmux itself shows: an expanded name
// is no longer the literal text (a `#(...)` job's output is not even ready yet: the name becomes empty).
const names = async () => (await tmux.listWindows(target, opts())).map((x) => x.name);

beforeAll(async () => {
	fs.rmSync(canary, { force: true });
	sshd = await startSshd();
	pool = testPool(sshd, { hostKeys: memoryHostKeyStore() });
	target = { envId: 'sec-tmux', host: sshd.host };
	await tmux.ensureSession(target, opts());
});

afterAll(async () => {
	try {
		if (pool) await tmux.killSession(target, opts()).catch(() => {});
		killLocalTmuxSessions(sshd, session);
	} finally {
		await pool?.closeAll();
		await sshd?.destroy();
		fs.rmSync(canary, { force: true });
	}
});

describe('tmux window names are data', () => {
	const name = `#(id > ${canary})`;

	it('control: handed to tmux unescaped, such names are expanded (so the probes below can fail)', async () => {
		const raw = (n: string) => pool.exec(target, 'LANG=C.UTF-8 ' + command('tmux', '-u', '-L', 'spyre', 'new-window', '-d', '-t', `=${session}:`, '-n', n));
		await raw(name);
		await raw('#(echo pwned-by-job)');
		await settle();
		const shown = await names();
		expect(shown).not.toContain(name);
		expect(shown).not.toContain('#(echo pwned-by-job)');
		fs.rmSync(canary, { force: true });
	});

	it('createWindow and renameWindow store the exact name and run nothing', async () => {
		const w = await tmux.createWindow(target, name, opts());
		expect(w.name).toBe(name);
		await tmux.createWindow(target, '#(echo pwned-again)', opts());
		await tmux.renameWindow(target, w.index, `${name} #{pane_pid} ##`, opts());
		const other = await tmux.createWindow(target, 'plain', opts());
		await tmux.renameWindow(target, other.index, name, opts());
		await settle();
		const shown = await names();
		expect(shown).toContain(`${name} #{pane_pid} ##`);
		expect(shown).toContain(name);
		expect(shown).toContain('#(echo pwned-again)');
		expect(shown).not.toContain('pwned-again');
		expect(fs.existsSync(canary)).toBe(false);
	});

	it('a name that looks like an option is still a name', async () => {
		const w = await tmux.createWindow(target, 'plain2', opts());
		await tmux.renameWindow(target, w.index, '-t =evil', opts());
		expect((await tmux.listWindows(target, opts())).find((x) => x.index === w.index)?.name).toBe('-t =evil');
	});
});
