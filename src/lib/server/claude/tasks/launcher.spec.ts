import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { quote } from '../../shell';
import { TASK_ROOT, brokerProbeCommand, cancelCommand, launcherScript, startCommand, tailCommand } from './launcher';

const run = promisify(execFile);
const ID = 'task-abcdefghij12';
let dir: string | null = null;
let group: number | null = null;

afterEach(() => {
	// A failed assertion must not leave the detached launcher behind: stop its group by its PID.
	if (group) {
		try {
			process.kill(-group, 'SIGKILL');
		} catch {
			// already gone
		}
	}
	group = null;
	if (dir) fs.rmSync(dir, { recursive: true, force: true });
	dir = null;
});

/** The commands with the task root moved to a temp dir, run by the same `sh` an environment has. */
function local(cmd: string): string {
	return cmd.replaceAll(TASK_ROOT, dir!);
}

// SSH runs a command with the user's login shell: bash for root on Debian, dash elsewhere.
describe.each(['bash', 'sh'])('startCommand under %s', (shell) => {
	it('returns at once with the PID of a detached session leader, and cancel kills its group', async () => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-launcher-'));
		fs.mkdirSync(path.join(dir, ID));
		// A launcher that outlives the start by far, with a child in its group (as the CLI is).
		fs.writeFileSync(path.join(dir, ID, 'run.sh'), 'echo $$ > "$(dirname "$0")/pid"\nsleep 30 &\nsleep 30\n');
		const t0 = Date.now();
		const { stdout } = await run(shell, ['-c', local(startCommand(ID))], { timeout: 10_000 });
		expect(Date.now() - t0).toBeLessThan(3000);
		const pid = Number(stdout.trim());
		group = pid;
		// The start returns only once the launcher has written its PID file: the first probe comes next.
		expect(Number(fs.readFileSync(path.join(dir, ID, 'pid'), 'utf8'))).toBe(pid);
		const { stdout: ps } = await run('ps', ['-o', 'pgid=,sid=', '-p', String(pid)]);
		expect(ps.trim().split(/\s+/).map(Number)).toEqual([pid, pid]);
		expect((await run(shell, ['-c', local(cancelCommand(ID, 1))], { timeout: 10_000 })).stdout.trim()).toBe('killed');
		// Nothing of the group runs any more (a zombie waiting for a reaper is dead already).
		const { stdout: all } = await run('ps', ['-eo', 'pgid=,stat=']);
		const alive = all
			.split('\n')
			.map((l) => l.trim().split(/\s+/))
			.filter(([g, st]) => Number(g) === pid && !st.startsWith('Z'));
		expect(alive).toEqual([]);
	});
});

describe('tailCommand', () => {
	it('follows by PID from the byte after the offset, polling often enough for a low latency', () => {
		expect(tailCommand(ID, 10, 42)).toBe(`tail -c +11 -F -s 0.05 --pid=42 ${TASK_ROOT}/${ID}/out.jsonl`);
		expect(tailCommand(ID, 0, null)).toBe(`tail -c +1 ${TASK_ROOT}/${ID}/out.jsonl`);
		expect(() => tailCommand(ID, -1, null)).toThrow();
	});
});

describe('the broker path', () => {
	const options = { model: null, maxTurns: null, maxBudgetUsd: null, permissionMode: 'bypassPermissions' as const, allowedTools: [], workdir: '/root', snapshot: false, repo: null };

	it('hands the CLI the per-task token as ANTHROPIC_AUTH_TOKEN and the broker as its base URL, and no real credential', () => {
		const script = launcherScript({ taskId: ID, options, resumeSessionId: null, credentialKind: 'broker_token', apiBaseUrl: 'http://10.213.0.1:3101' });
		expect(script).toContain('unset ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN ANTHROPIC_AUTH_TOKEN');
		expect(script).toContain('ANTHROPIC_AUTH_TOKEN=$(cat "$d/credential"); export ANTHROPIC_AUTH_TOKEN; rm -f "$d/credential"');
		expect(script).toContain(`export ANTHROPIC_BASE_URL=${quote('http://10.213.0.1:3101')}`);
		expect(script).not.toMatch(/ANTHROPIC_API_KEY=|CLAUDE_CODE_OAUTH_TOKEN=/);
	});

	it('probes the broker with quoted values and refuses a URL whose host could inject', async () => {
		expect(brokerProbeCommand('http://10.213.0.1:3101')).toContain(`_ ${quote('10.213.0.1')} ${quote('3101')}`);
		for (const bad of ['http://a$(touch x):1/', 'http://a;b:1/']) expect(() => brokerProbeCommand(bad)).toThrow();
		// Against a port nothing listens on, from this host's sh: unreachable, in bounded time.
		const r = await run('sh', ['-c', brokerProbeCommand('http://127.0.0.1:9', 2)]);
		expect(r.stdout.trim()).toBe('broker-unreachable');
	});
});
