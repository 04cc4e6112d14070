import { describe, expect, it } from 'vitest';
import type { TaskLogLine } from '$lib/shared/types/proxmox';
import { ProxmoxTaskError } from './errors';
import { caught, TOKEN_ID, UPID_CREATE, useFakePve } from './client.testkit';
import { fail, ok } from './fake-pve.testkit';

const h = useFakePve();

describe('waitForTask', () => {
	/** A task that writes one log line per status poll, then ends with `exitstatus`. */
	function scriptTask(lines: string[], exitstatus: string, upid = UPID_CREATE) {
		let polls = 0;
		let written = 0;
		h.pve.handle = (req) => {
			if (req.path === `/nodes/pve/tasks/${upid}/status`) {
				polls++;
				written = Math.min(lines.length, polls);
				const done = written === lines.length;
				return ok({ upid, node: 'pve', pid: 1, pstart: 2, starttime: 3, type: 'vzcreate', id: '101', user: TOKEN_ID, status: done ? 'stopped' : 'running', ...(done ? { exitstatus } : {}) });
			}
			if (req.path === `/nodes/pve/tasks/${upid}/log`) {
				const start = Number(req.query.get('start') ?? 0);
				const limit = Number(req.query.get('limit') ?? 50);
				const page = lines
					.slice(0, written)
					.map((t, i) => ({ n: i + 1, t }))
					.slice(start, start + limit);
				return ok(page, { total: written });
			}
			return fail(501, 'unexpected');
		};
	}

	it('streams new log lines in order and surfaces the exit status of a failed task', async () => {
		const lines = ['extracting archive', 'Total bytes read: 1234', 'TASK ERROR: unable to create CT 101 - no space left'];
		scriptTask(lines, 'unable to create CT 101 - no space left');
		const seen: TaskLogLine[] = [];
		const err = await caught(h.client.waitForTask('pve', UPID_CREATE, { onLog: (l) => seen.push(l), poll: { initialMs: 5, maxMs: 10 } }));
		expect(err).toBeInstanceOf(ProxmoxTaskError);
		expect(err.kind).toBe('task');
		expect(err.message).toBe('unable to create CT 101 - no space left');
		expect((err as ProxmoxTaskError).exitstatus).toBe('unable to create CT 101 - no space left');
		expect((err as ProxmoxTaskError).log.at(-1)?.t).toBe(lines[2]);
		expect(seen).toEqual(lines.map((t, i) => ({ n: i + 1, t })));
		// log reads continue where the last one stopped
		const starts = h.pve.requests.filter((r) => r.path.endsWith('/log')).map((r) => Number(r.query.get('start')));
		expect(starts).toEqual([...starts].sort((a, b) => a - b));
		expect(starts.at(-1)).toBeGreaterThan(0);
		// the UPID travels in the path with its colons unescaped
		expect(h.pve.requests[0].rawUrl).toContain(`/tasks/${UPID_CREATE.replace('!', '!')}/status`);
	});

	it('counts WARNINGS: N as success and resolves with the final status', async () => {
		scriptTask(['warning: something', 'TASK WARNINGS: 1'], 'WARNINGS: 1');
		const status = await h.client.waitForTask('pve', UPID_CREATE, { poll: { initialMs: 5 } });
		expect(status).toMatchObject({ status: 'stopped', exitstatus: 'WARNINGS: 1', type: 'vzcreate', id: '101' });
	});

	it('resolves on OK', async () => {
		scriptTask(['TASK OK'], 'OK');
		await expect(h.client.waitForTask('pve', UPID_CREATE)).resolves.toMatchObject({ exitstatus: 'OK' });
		// without onLog a successful task's log is not read at all
		expect(h.pve.requests.filter((r) => r.path.endsWith('/log'))).toHaveLength(0);
	});

	it('times out with a clear error', async () => {
		h.pve.handle = (req) => (req.path.endsWith('/status') ? ok({ upid: UPID_CREATE, status: 'running' }) : ok([{ n: 1, t: 'no content' }], { total: 1 }));
		const seen: TaskLogLine[] = [];
		const started = Date.now();
		const err = await caught(h.client.waitForTask('pve', UPID_CREATE, { timeout: 300, onLog: (l) => seen.push(l) }));
		expect(Date.now() - started).toBeLessThan(2000);
		expect(err.kind).toBe('timeout');
		expect(err.code).toBe('timeout');
		expect(err.message).toContain('vzcreate for 101 on node pve did not finish within 300 ms');
		// the placeholder line of an empty log is not a log line
		expect(seen).toEqual([]);
	});

	it('reports an unknown task as not_found', async () => {
		h.pve.handle = () => fail(400, 'Parameter verification failed.', { data: null, errors: { upid: 'no such task' } });
		const err = await caught(h.client.waitForTask('pve', UPID_CREATE));
		expect(err.kind).toBe('not_found');
	});
});

describe('waitForIp', () => {
	it('treats data:null from /interfaces (stopped CT) as no interfaces', async () => {
		h.pve.handle = () => ok(null);
		await expect(h.client.getLxcInterfaces('pve', 101)).resolves.toEqual([]);
		const err = await caught(h.client.waitForIp('pve', 101, { timeout: 150, intervalMs: 20 }));
		expect(err.kind).toBe('timeout');
		expect(err.message).toContain('CT 101');
	});

	it('waits past addresses `accept` refuses and names them on timeout', async () => {
		h.pve.handle = () => ok([{ name: 'eth0', inet: '127.0.0.1/8', hwaddr: 'aa:bb:cc:dd:ee:ff' }]);
		const err = await caught(h.client.waitForIp('pve', 101, { timeout: 1000, intervalMs: 20, accept: (ip) => (ip.startsWith('127.') ? 'is a loopback address' : null) }));
		expect(err.kind).toBe('timeout');
		expect(err.message).toContain('no usable IPv4 address');
		expect(err.message).toContain('127.0.0.1 is a loopback address');
	});
});
