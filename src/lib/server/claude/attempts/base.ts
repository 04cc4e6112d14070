// A set's base: the one copy of the source's snapshot that the attempt clones stack on. Proxmox makes a
// linked (copy-on-write) clone only of a template, and a running environment cannot become one, so the set
// makes a full clone of the snapshot, converts it to a template, and clones that N times linked. The base
// is recorded on the set before Proxmox is asked for it, is not an environment (no row, so no list shows
// it; its Proxmox description names the set), and is destroyed once no clone of the set exists any more,
// the kept one included (every linked clone reads the base's disk).

import { messageOf } from '../../errors';
import { subscribe } from '../../events';
import { getProxmox } from '../../proxmox';
import { isVmidRace } from '../../environments/create';
import { getEnvironment } from '../../environments/repo';
import { attemptsOf, getSet, setsWithBase, updateSet, type AttemptSetRow } from './repo';

/**
 * Storage types whose CT volumes can be cloned linked (pve-storage `volume_has_feature` 'clone': LVM-thin,
 * ZFS, Ceph RBD, BTRFS). A plain directory or NFS cannot: the set falls back to a full clone per attempt.
 */
const LINKED_STORAGE_TYPES = new Set(['lvmthin', 'zfspool', 'rbd', 'btrfs']);

export function storageCanLink(type: string | undefined): boolean {
	return type !== undefined && LINKED_STORAGE_TYPES.has(type);
}

/** The storage type of a CT's root disk on its node, or undefined when it cannot be told. */
export async function rootStorageType(node: string, vmid: number): Promise<string | undefined> {
	const pve = getProxmox();
	const conf = await pve.getLxcConfig(node, vmid);
	const storage = String(conf.rootfs ?? '').split(':')[0];
	return (await pve.listStorage(node)).find((s) => s.storage === storage)?.type;
}

/**
 * Make the set's base from the source's snapshot: a full clone (recorded first, so a restart finds a
 * half-made one) turned into a template. Returns where it lives.
 */
export async function makeBase(setId: string, source: { node: string; vmid: number; hostname: string }, snapname: string): Promise<{ node: string; vmid: number }> {
	const pve = getProxmox();
	let vmid: number;
	let upid: string;
	let floor = 0;
	// Another create may take the id Proxmox proposed between the question and the clone call.
	for (let tries = 0; ; tries++) {
		vmid = Math.max(await pve.getNextVmid(), floor);
		updateSet(setId, { base_vmid: vmid, base_node: source.node });
		try {
			upid = await pve.cloneLxc(source.node, source.vmid, vmid, {
				full: true,
				snapname,
				hostname: `${source.hostname}-base`.slice(0, 63),
				description: `Spyre attempt set ${setId}: the template its clones stack on; Spyre destroys it when the set's last clone is gone.`
			});
			break;
		} catch (err) {
			updateSet(setId, { base_vmid: null, base_node: null });
			if (tries < 4 && isVmidRace(err, vmid)) {
				floor = vmid + 1;
				continue;
			}
			throw err;
		}
	}
	await pve.waitForTask(source.node, upid);
	await pve.convertToTemplate(source.node, vmid);
	// The template call answers no task id: the config's `template` flag says when it is done.
	const deadline = Date.now() + pve.taskTimeoutMs;
	while (Number((await pve.getLxcConfig(source.node, vmid)).raw.template) !== 1) {
		if (Date.now() > deadline) throw new Error(`CT ${vmid} did not become a template in time.`);
		await new Promise((r) => setTimeout(r, 200));
	}
	return { node: source.node, vmid };
}

/** Whether an environment made from the set's base still exists (the kept clone included). */
function clonesRemain(setId: string): boolean {
	return attemptsOf(setId).some((a) => a.environment_id !== null && getEnvironment(a.environment_id) !== undefined);
}

/**
 * Destroy the set's base if no clone of it is left (or none is being made). A failure leaves it recorded
 * for the next clone destroyed or the next start-up.
 */
export async function dropBaseIfUnused(setId: string): Promise<void> {
	const set = getSet(setId);
	if (!set?.base_vmid || !set.base_node || set.status === 'creating' || clonesRemain(setId)) return;
	const { base_vmid: vmid, base_node: node } = set;
	const pve = getProxmox();
	// A base cut short by a restart may still be locked by its clone task, or a clone's destroy may not
	// have let go of it yet: a few tries, then the next clone destroyed or start-up tries again.
	for (let tries = 0; ; tries++) {
		try {
			const upid = await pve.destroyLxc(node, vmid);
			await pve.waitForTask(node, upid);
			return updateSet(setId, { base_vmid: null, base_node: null });
		} catch (err) {
			const message = messageOf(err);
			if (/does not exist/.test(message)) return updateSet(setId, { base_vmid: null, base_node: null });
			if (tries < 10 && /locked|in use/.test(message)) {
				await new Promise((r) => setTimeout(r, 2000));
				continue;
			}
			return console.warn(`[spyre] attempt set ${setId}: base template CT ${vmid} not destroyed yet: ${message}`);
		}
	}
}

/** A set that is being made keeps its base; every other one loses it with its last clone. */
export function dropUnusedBases(sets: AttemptSetRow[] = setsWithBase()): Promise<void[]> {
	return Promise.all(sets.map((s) => dropBaseIfUnused(s.id)));
}

let unsubscribe: (() => void) | null = null;

/** From start-up on: each environment that goes may be a set's last clone. */
export function watchClones(): void {
	unsubscribe ??= subscribe((event) => {
		if (event.type === 'env.removed') void dropUnusedBases();
	});
}

export function stopWatchingClones(): void {
	unsubscribe?.();
	unsubscribe = null;
}
