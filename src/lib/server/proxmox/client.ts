// The typed Proxmox VE 8 REST client (paths and shapes as in the API viewer, https://pve.proxmox.com/pve-docs/api-viewer/; the
// subset Spyre calls is listed in docs/simulator.md, "Endpoints"): one method per API call Spyre makes,
// each naming its path template and the schema its answer must pass. The HTTP exchange (auth, TLS, timeouts,
// retries, validation) is transport.ts; task and IP polling is wait.ts.

import { z } from 'zod';
import type {
	ClusterResource,
	CreateLxcParams,
	LxcConfig,
	LxcInterface,
	LxcStatus,
	LxcSummary,
	NodeInfo,
	NodeStorage,
	ProxmoxVersion,
	StorageTemplate,
	TaskLog,
	TaskStatus,
	VmSummary
} from '$lib/shared/types/proxmox';
import type { SpyreConfig } from '../env-config';
import type { CallOptions, ProxmoxClientOptions, ProxmoxStats, WaitForIpOptions, WaitForTaskOptions } from './options';
import { clusterResourcesSchema } from './cluster-resources';
import { createLxcParams, type ParamValue } from './params';
import * as s from './schemas';
import { ProxmoxTransport } from './transport';
import { waitForIp, waitForTask } from './wait';

export class ProxmoxClient {
	/** `https://host:8006`, for messages and links. */
	readonly url: string;
	readonly stats: ProxmoxStats;
	readonly taskTimeoutMs: number;
	readonly ipTimeoutMs: number;
	readonly #http: ProxmoxTransport;

	constructor(opts: ProxmoxClientOptions) {
		this.#http = new ProxmoxTransport(opts);
		this.url = this.#http.url;
		this.stats = this.#http.stats;
		this.taskTimeoutMs = opts.taskTimeoutMs ?? 300_000;
		this.ipTimeoutMs = opts.ipTimeoutMs ?? 120_000;
	}

	static fromConfig(cfg: SpyreConfig['proxmox']): ProxmoxClient {
		return fromConfig(cfg);
	}

	resetStats(): void {
		this.#http.resetStats();
	}

	/** Close this client's connections (shutdown, tests). */
	close(): Promise<void> {
		return this.#http.close();
	}

	// --- reads ----------------------------------------------------------------------------------------------

	/** Checks URL, TLS trust and token in one call (`GET /version`). */
	authenticate(opts: CallOptions = {}): Promise<ProxmoxVersion> {
		return this.#http.get('/version', s.versionSchema, opts);
	}

	listNodes(opts: CallOptions = {}): Promise<NodeInfo[]> {
		return this.#http.get('/nodes', z.array(s.nodeSchema), opts);
	}

	listLxc(node: string, opts: CallOptions = {}): Promise<LxcSummary[]> {
		return this.#http.get('/nodes/{node}/lxc', z.array(s.lxcSummarySchema), { ...opts, vars: { node } });
	}

	listVm(node: string, opts: CallOptions = {}): Promise<VmSummary[]> {
		return this.#http.get('/nodes/{node}/qemu', z.array(s.vmSummarySchema), { ...opts, vars: { node } });
	}

	/** Every guest of the cluster in one call (`GET /cluster/resources?type=vm`). */
	clusterResources(opts: CallOptions = {}): Promise<ClusterResource[]> {
		return this.#http.get('/cluster/resources', clusterResourcesSchema, { ...opts, query: { type: 'vm' } });
	}

	getLxcStatus(node: string, vmid: number, opts: CallOptions = {}): Promise<LxcStatus> {
		return this.#http.get('/nodes/{node}/lxc/{vmid}/status/current', s.lxcStatusSchema, { ...opts, vars: { node, vmid } });
	}

	getLxcConfig(node: string, vmid: number, opts: CallOptions = {}): Promise<LxcConfig> {
		return this.#http.get('/nodes/{node}/lxc/{vmid}/config', s.lxcConfigSchema, { ...opts, vars: { node, vmid } });
	}

	/** The CT's interfaces (PVE >= 8.1); `[]` while it is stopped (Proxmox sends `data: null`). */
	async getLxcInterfaces(node: string, vmid: number, opts: CallOptions = {}): Promise<LxcInterface[]> {
		const data = await this.#http.get('/nodes/{node}/lxc/{vmid}/interfaces', z.array(s.lxcInterfaceSchema).nullable(), {
			...opts,
			vars: { node, vmid }
		});
		return data ?? [];
	}

	/** The next free vmid, or `vmid` itself if free (a taken one is a 400 `params` error on `errors.vmid`). */
	getNextVmid(vmid?: number, opts: CallOptions = {}): Promise<number> {
		return this.#http.get('/cluster/nextid', s.nextIdSchema, { ...opts, query: { vmid } });
	}

	/** The node's storages, with whether each is shared (`GET /nodes/{node}/storage`). */
	listStorage(node: string, opts: CallOptions = {}): Promise<NodeStorage[]> {
		return this.#http.get('/nodes/{node}/storage', z.array(s.nodeStorageSchema), { ...opts, vars: { node } });
	}

	async listTemplates(node: string, storage: string, opts: CallOptions = {}): Promise<StorageTemplate[]> {
		const all = await this.#http.get('/nodes/{node}/storage/{storage}/content', z.array(s.storageTemplateSchema), {
			...opts,
			vars: { node, storage },
			query: { content: 'vztmpl' }
		});
		return all.filter((t): t is StorageTemplate => t !== null);
	}

	getTaskStatus(node: string, upid: string, opts: CallOptions = {}): Promise<TaskStatus> {
		return this.#http.get('/nodes/{node}/tasks/{upid}/status', s.taskStatusSchema, { ...opts, vars: { node, upid } });
	}

	/** One page of a task's log. `start` is 0-based (line `n` = start + 1); `limit` 0 reads to the end. */
	async getTaskLog(node: string, upid: string, opts: CallOptions & { start?: number; limit?: number } = {}): Promise<TaskLog> {
		const { data, total } = await this.#http.request('GET', '/nodes/{node}/tasks/{upid}/log', {
			schema: z.array(s.taskLogLineSchema),
			vars: { node, upid },
			query: { start: opts.start ?? 0, limit: opts.limit ?? 50 },
			signal: opts.signal
		});
		const lastN = data.length > 0 ? data[data.length - 1].n : 0;
		return { total: total ?? lastN, lines: data };
	}

	// --- writes (each returns the UPID of the task it started; never retried) ------------------------------

	async #task(method: 'POST' | 'DELETE', template: string, vars: Record<string, string | number>, params: Record<string, ParamValue>, signal?: AbortSignal): Promise<string> {
		// GET/DELETE take the query string only: a body on DELETE is a 501 on real PVE.
		const where = method === 'DELETE' ? { query: params } : { form: params };
		return (await this.#http.request(method, template, { ...where, vars, signal, schema: s.upidSchema })).data;
	}

	createLxc(node: string, params: CreateLxcParams, opts: CallOptions = {}): Promise<string> {
		return this.#task('POST', '/nodes/{node}/lxc', { node }, createLxcParams(params), opts.signal);
	}

	/** Destroys the CT with its disks and every reference (jobs, ACLs, HA). `force` stops a running CT first. */
	destroyLxc(node: string, vmid: number, opts: CallOptions & { force?: boolean } = {}): Promise<string> {
		return this.#task('DELETE', '/nodes/{node}/lxc/{vmid}', { node, vmid }, { purge: true, 'destroy-unreferenced-disks': true, force: opts.force ? true : undefined }, opts.signal);
	}

	startLxc(node: string, vmid: number, opts: CallOptions = {}): Promise<string> {
		return this.#task('POST', '/nodes/{node}/lxc/{vmid}/status/start', { node, vmid }, {}, opts.signal);
	}

	/** Hard stop (like pulling the plug). */
	stopLxc(node: string, vmid: number, opts: CallOptions = {}): Promise<string> {
		return this.#task('POST', '/nodes/{node}/lxc/{vmid}/status/stop', { node, vmid }, {}, opts.signal);
	}

	/** Clean shutdown; `timeout` in seconds; `forceStop` kills it after the timeout instead of failing the task. */
	shutdownLxc(node: string, vmid: number, opts: CallOptions & { timeout?: number; forceStop?: boolean } = {}): Promise<string> {
		return this.#task('POST', '/nodes/{node}/lxc/{vmid}/status/shutdown', { node, vmid }, { timeout: opts.timeout, forceStop: opts.forceStop }, opts.signal);
	}

	// --- snapshots (/nodes/{node}/lxc/{vmid}/snapshot; each write returns a UPID) ----------------------------

	/** The CT's snapshots, oldest first, without the `current` ("you are here") entry. */
	async listSnapshots(node: string, vmid: number, opts: CallOptions = {}): Promise<s.LxcSnapshot[]> {
		const all = await this.#http.get('/nodes/{node}/lxc/{vmid}/snapshot', z.array(s.snapshotSchema), { ...opts, vars: { node, vmid } });
		return all.filter((snap) => snap.name !== 'current').sort((a, b) => (a.snaptime ?? 0) - (b.snaptime ?? 0));
	}

	/** `name`: a letter, then letters, digits, `_` or `-`; at most 40 characters. */
	createSnapshot(node: string, vmid: number, name: string, opts: CallOptions & { description?: string } = {}): Promise<string> {
		return this.#task('POST', '/nodes/{node}/lxc/{vmid}/snapshot', { node, vmid }, { snapname: name, description: opts.description }, opts.signal);
	}

	/** Roll the CT back (a running CT is stopped first); `start` starts it again afterwards. */
	rollbackSnapshot(node: string, vmid: number, name: string, opts: CallOptions & { start?: boolean } = {}): Promise<string> {
		return this.#task('POST', '/nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback', { node, vmid, snapname: name }, { start: opts.start ? true : undefined }, opts.signal);
	}

	deleteSnapshot(node: string, vmid: number, name: string, opts: CallOptions & { force?: boolean } = {}): Promise<string> {
		return this.#task('DELETE', '/nodes/{node}/lxc/{vmid}/snapshot/{snapname}', { node, vmid, snapname: name }, { force: opts.force ? true : undefined }, opts.signal);
	}

	// --- clones and templates (pve-container API2/LXC.pm clone_vm and template) ----------------------------

	/**
	 * Clone CT `vmid` into `newid`; returns the UPID of its `vzclone` task (which names the source). `full`
	 * defaults to a linked clone for a template and a full copy otherwise; a linked clone needs a template
	 * and storage that can clone, a full clone of a running CT needs `snapname`.
	 */
	cloneLxc(
		node: string,
		vmid: number,
		newid: number,
		opts: CallOptions & { full?: boolean; snapname?: string; hostname?: string; description?: string; pool?: string; storage?: string; target?: string } = {}
	): Promise<string> {
		const { full, snapname, hostname, description, pool, storage, target } = opts;
		return this.#task('POST', '/nodes/{node}/lxc/{vmid}/clone', { node, vmid }, { newid, full, snapname, hostname, description, pool, storage, target }, opts.signal);
	}

	/**
	 * Make a stopped CT without snapshots a template. Proxmox answers null, not a UPID: its `vztemplate`
	 * task shows in the task list, and the config's `template` becomes 1 when it is done.
	 */
	async convertToTemplate(node: string, vmid: number, opts: CallOptions = {}): Promise<void> {
		await this.#http.request('POST', '/nodes/{node}/lxc/{vmid}/template', { form: {}, vars: { node, vmid }, signal: opts.signal, schema: z.null() });
	}

	// --- waiting (wait.ts) ----------------------------------------------------------------------------------

	/** See wait.ts `waitForTask`; the deadline defaults to the client's taskTimeoutMs. */
	waitForTask(node: string, upid: string, opts: WaitForTaskOptions = {}): Promise<TaskStatus> {
		return waitForTask(this, node, upid, opts.timeout ?? this.taskTimeoutMs, opts);
	}

	/** See wait.ts `waitForIp`; the deadline defaults to the client's ipTimeoutMs. */
	waitForIp(node: string, vmid: number, opts: WaitForIpOptions = {}): Promise<string> {
		return waitForIp(this, node, vmid, opts.timeout ?? this.ipTimeoutMs, opts);
	}
}

/** A client configured from environment.yaml's `proxmox` section. */
export function fromConfig(cfg: SpyreConfig['proxmox']): ProxmoxClient {
	return new ProxmoxClient({
		url: cfg.url,
		tokenId: cfg.tokenId,
		tokenSecret: cfg.tokenSecret,
		tls: { ca: cfg.tls.ca, fingerprint: cfg.tls.fingerprint },
		requestTimeoutMs: cfg.requestTimeoutMs,
		taskTimeoutMs: cfg.taskTimeoutMs,
		ipTimeoutMs: cfg.ipTimeoutMs
	});
}
