// The status poller against the real Proxmox simulator and a real SQLite file: exactly one /cluster/resources
// call per poll, a live push only for rows that changed (none in a quiet poll), transitional and failed
// rows left to their owner, a vanished CT marked missing, and inventory.changed only when guests changed.
// Spyre's modules run in this process with a temp environment.yaml.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlGet, pveRequest, startSim, waitTask, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import type { ServerEvent } from '../../src/lib/server/events';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
let sim: RunningSim;
let data: TestDataDir;
let poller: typeof import('../../src/lib/server/environments/status-poller');
let repo: typeof import('../../src/lib/server/environments/repo');
const seen: ServerEvent[] = [];
let unsubscribe = () => {};

async function createCt(vmid: number, name: string): Promise<void> {
	const res = await pveRequest<string>(sim.simJson, 'POST', '/nodes/pve/lxc', {
		form: { vmid: String(vmid), ostemplate: TEMPLATE, hostname: name, memory: '256', rootfs: 'local-lvm:2' }
	});
	expect(`${res.status} ${res.statusText}`).toBe('200 OK');
	await waitTask(sim.simJson, res.body!.data);
}

const resourceCalls = async () => (await controlGet<Record<string, number>>(sim.simJson, '/requests'))['GET /cluster/resources'] ?? 0;

/** One poll: the events it published and the /cluster/resources calls it made. */
async function poll(): Promise<{ events: ServerEvent[]; calls: number }> {
	const before = await resourceCalls();
	seen.length = 0;
	await poller.pollOnce();
	return { events: [...seen], calls: (await resourceCalls()) - before };
}

const updatedIds = (events: ServerEvent[]) => events.filter((e) => e.type === 'env.updated').map((e) => (e.data as { environment: { id: string } }).environment.id);

beforeAll(async () => {
	sim = await startSim({ nodes: ['pve'] });
	data = await makeDataDir({ simJson: sim.simJson });
	process.env.SPYRE_CONFIG = data.configPath;
	poller = await import('../../src/lib/server/environments/status-poller');
	repo = await import('../../src/lib/server/environments/repo');
	const events = await import('../../src/lib/server/events');
	unsubscribe = events.subscribe((e) => seen.push(e));
	// Stopped CTs: no sshd needed. 7101 is nobody's (unmanaged).
	for (const [vmid, name] of [
		[7100, 'drifted'],
		[7101, 'outsider'],
		[7102, 'steady'],
		[7103, 'busy'],
		[7104, 'failed']
	] as const) {
		await createCt(vmid, name);
	}
});

afterAll(async () => {
	unsubscribe();
	(await import('../../src/lib/server/db')).closeDb();
	await sim?.stop();
	data?.remove();
});

describe('status poller', () => {
	it('writes and pushes only the rows that differ from Proxmox, with one /cluster/resources call', async () => {
		const row = (id: string, vmid: number, status: 'running' | 'stopped' | 'starting' | 'error') => repo.insertEnvironment({ id, hostname: id, node: 'pve', vmid, status, origin: 'adopted' });
		row('env-drifted', 7100, 'running'); // Spyre thinks running; the CT is stopped.
		row('env-steady', 7102, 'stopped');
		row('env-busy', 7103, 'starting'); // a job's transitional status: the job settles it, not the poller
		row('env-failed', 7104, 'error');
		const steadyBefore = repo.getEnvironment('env-steady')!;

		const first = await poll();
		expect(first.calls).toBe(1);
		expect(updatedIds(first.events)).toEqual(['env-drifted']);
		expect(repo.getEnvironment('env-drifted')!.status).toBe('stopped');
		expect(repo.getEnvironment('env-steady')).toEqual(steadyBefore);
		expect(repo.getEnvironment('env-busy')!.status).toBe('starting');
		expect(repo.getEnvironment('env-failed')!.status).toBe('error');
	});

	it('a quiet poll pushes nothing and writes nothing', async () => {
		const before = repo.listEnvironments();
		const quiet = await poll();
		expect(quiet.calls).toBe(1);
		expect(quiet.events).toEqual([]);
		expect(repo.listEnvironments()).toEqual(before);
	});

	it("marks a CT deleted behind Spyre's back missing and tells lists the inventory changed, once", async () => {
		const del = await pveRequest<string>(sim.simJson, 'DELETE', '/nodes/pve/lxc/7102?purge=1');
		await waitTask(sim.simJson, del.body!.data);
		const after = await poll();
		expect(after.calls).toBe(1);
		expect(updatedIds(after.events)).toEqual(['env-steady']);
		expect(after.events.filter((e) => e.type === 'inventory.changed')).toHaveLength(1);
		expect(repo.getEnvironment('env-steady')!.status).toBe('missing');
		expect((await poll()).events).toEqual([]);
	});

	it('sees a new guest as an inventory change without pushing any row', async () => {
		await createCt(7105, 'newcomer');
		const after = await poll();
		expect(after.events.map((e) => e.type)).toEqual(['inventory.changed']);
		expect(poller.pollerStats()).toMatchObject({ lastError: null, lastChanged: 0 });
	});
});
