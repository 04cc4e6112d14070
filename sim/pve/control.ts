// Fault switches and the plain-HTTP control endpoint on 127.0.0.1 that tests use to turn them on (and to
// change the gateway ports CTs may reach: POST /network).
// Spyre never calls it. Any local user (and, in non-root mode, any CT: they share the host's network) can
// reach the port, so every request needs `Authorization: Bearer <secret>` with the secret from the 0600 sim.json. Owns the Faults object; actions on CTs (lock, killSshd) are delegated to
// the simulator through the ControlActions it is given.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export const FAULT_TASK_TYPES = ['vzcreate', 'vzstart', 'vzstop', 'vzshutdown', 'vzdestroy', 'vzclone', 'vztemplate'] as const;
export type FaultTaskType = (typeof FAULT_TASK_TYPES)[number];

export interface InterfacesFault {
	vmid?: number;
	until: number;
	/** `null`: data null (default); `noeth0`: only lo; `noinet`: eth0 without an IPv4 address. */
	mode: 'null' | 'noeth0' | 'noinet';
}

export interface Faults {
	latencyMs: number;
	failNext: Partial<Record<FaultTaskType, string>>;
	warnNext: Partial<Record<FaultTaskType, string>>;
	/** ms the next task of a type waits before its work (its locks stay visible meanwhile). */
	delayNext: Partial<Record<FaultTaskType, number>>;
	interfacesEmpty: InterfacesFault[];
	ignoreShutdown: number[];
	offlineNodes: string[];
	/** How long a mutating call waits for another task on the same CT before `can't lock file`. */
	lockTimeoutMs: number;
	/**
	 * vmid -> the IPv4 address its `/interfaces` reports on eth0 instead of its real one: what a CT's root
	 * can do on real Proxmox (the address comes from inside the CT). The CT's real address is unchanged.
	 */
	reportAddress: Record<string, string>;
	/** Privileges the API token lacks (token-acl.ts); `path` omitted: everywhere. */
	revokedPrivileges: { privilege: string; path?: string }[];
}

export function defaultFaults(): Faults {
	return { latencyMs: 0, failNext: {}, warnNext: {}, delayNext: {}, interfacesEmpty: [], ignoreShutdown: [], offlineNodes: [], lockTimeoutMs: 10_000, reportAddress: {}, revokedPrivileges: [] };
}

export interface ControlActions {
	lock(vmid: number, lock: string): void;
	unlock(vmid: number): void;
	killSshd(vmid: number): number;
	nodes(): string[];
	/** API calls served so far, per `METHOD /route/{template}`. */
	requests(): Record<string, number>;
	state(): unknown;
	/** The node's bridge (sim.json `network`), or null without one (non-root mode). */
	network(): unknown;
	/** Replace the gateway ports every CT may reach (running CTs included); returns network(). */
	setGatewayPorts(ports: unknown): Promise<unknown>;
}

export class FaultError extends Error {}

/** Take the queued failure, warning or delay for a task type, if any (each fault fires once). */
export function takeFault<T>(map: Partial<Record<FaultTaskType, T>>, type: string): T | undefined {
	if (!(FAULT_TASK_TYPES as readonly string[]).includes(type)) return undefined;
	const msg = map[type as FaultTaskType];
	delete map[type as FaultTaskType];
	return msg;
}

export function interfacesFault(f: Faults, vmid: number): InterfacesFault | undefined {
	const now = Date.now();
	f.interfacesEmpty = f.interfacesEmpty.filter((x) => x.until > now);
	return f.interfacesEmpty.find((x) => x.vmid === undefined || x.vmid === vmid);
}

type Json = Record<string, unknown>;

function asObject(v: unknown, what: string): Json {
	if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FaultError(`${what} must be an object`);
	return v as Json;
}
function asInt(v: unknown, what: string): number {
	if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new FaultError(`${what} must be a non-negative integer`);
	return v;
}
function asTaskType(v: unknown, what: string): FaultTaskType {
	if (!(FAULT_TASK_TYPES as readonly unknown[]).includes(v)) throw new FaultError(`${what} must be one of ${FAULT_TASK_TYPES.join(', ')}`);
	return v as FaultTaskType;
}

/** Apply one POST /faults body. Throws FaultError on a malformed body (nothing is applied then). */
export function applyFaults(f: Faults, body: Json, actions: ControlActions): Json {
	const known = [
		'latencyMs',
		'failNext',
		'warnNext',
		'delayNext',
		'lock',
		'unlock',
		'interfacesEmptyFor',
		'killSshd',
		'nodeOffline',
		'ignoreShutdown',
		'lockTimeoutMs',
		'reportAddress',
		'revokePrivilege',
		'reset'
	];
	for (const k of Object.keys(body)) if (!known.includes(k)) throw new FaultError(`unknown fault '${k}' (known: ${known.join(', ')})`);
	const steps: (() => void)[] = [];
	const result: Json = {};
	if (body.reset === true) steps.push(() => Object.assign(f, defaultFaults()));
	if ('latencyMs' in body) {
		const n = asInt(body.latencyMs, 'latencyMs');
		steps.push(() => (f.latencyMs = n));
	}
	if ('lockTimeoutMs' in body) {
		const n = asInt(body.lockTimeoutMs, 'lockTimeoutMs');
		steps.push(() => (f.lockTimeoutMs = n));
	}
	for (const key of ['failNext', 'warnNext'] as const) {
		if (!(key in body)) continue;
		const o = asObject(body[key], key);
		const type = asTaskType(o.type, `${key}.type`);
		const message = typeof o.message === 'string' && o.message !== '' ? o.message : `simulated ${type} failure`;
		steps.push(() => (f[key][type] = message));
	}
	if ('delayNext' in body) {
		const o = asObject(body.delayNext, 'delayNext');
		const type = asTaskType(o.type, 'delayNext.type');
		const ms = asInt(o.ms, 'delayNext.ms');
		steps.push(() => (f.delayNext[type] = ms));
	}
	if ('lock' in body) {
		const o = asObject(body.lock, 'lock');
		const vmid = asInt(o.vmid, 'lock.vmid');
		const lock = typeof o.lock === 'string' && o.lock !== '' ? o.lock : 'backup';
		steps.push(() => actions.lock(vmid, lock));
	}
	if ('unlock' in body) {
		const vmid = asInt(asObject(body.unlock, 'unlock').vmid, 'unlock.vmid');
		steps.push(() => actions.unlock(vmid));
	}
	if ('interfacesEmptyFor' in body) {
		const o = asObject(body.interfacesEmptyFor, 'interfacesEmptyFor');
		const seconds = asInt(o.seconds, 'interfacesEmptyFor.seconds');
		const vmid = o.vmid === undefined ? undefined : asInt(o.vmid, 'interfacesEmptyFor.vmid');
		const mode = o.mode === undefined ? 'null' : o.mode;
		if (mode !== 'null' && mode !== 'noeth0' && mode !== 'noinet') throw new FaultError(`interfacesEmptyFor.mode must be null, noeth0 or noinet`);
		steps.push(() => f.interfacesEmpty.push({ vmid, until: Date.now() + seconds * 1000, mode }));
	}
	if ('killSshd' in body) {
		const vmid = asInt(asObject(body.killSshd, 'killSshd').vmid, 'killSshd.vmid');
		steps.push(() => (result.killed = actions.killSshd(vmid)));
	}
	if ('reportAddress' in body) {
		// { vmid, address }: report `address` from now on; { vmid, address: null }: the real one again.
		const o = asObject(body.reportAddress, 'reportAddress');
		const vmid = asInt(o.vmid, 'reportAddress.vmid');
		const address = o.address;
		if (address !== null && (typeof address !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(address))) {
			throw new FaultError('reportAddress.address must be an IPv4 address or null');
		}
		steps.push(() => {
			if (address === null) delete f.reportAddress[String(vmid)];
			else f.reportAddress[String(vmid)] = address;
		});
	}
	if ('revokePrivilege' in body) {
		// { privilege, path? }: the token lacks `privilege` on `path` (and below it), or everywhere.
		const o = asObject(body.revokePrivilege, 'revokePrivilege');
		if (typeof o.privilege !== 'string' || !/^[A-Z][A-Za-z]*\.[A-Za-z.]+$/.test(o.privilege)) throw new FaultError('revokePrivilege.privilege must be a privilege name such as VM.Clone');
		if (o.path !== undefined && (typeof o.path !== 'string' || !o.path.startsWith('/'))) throw new FaultError('revokePrivilege.path must be an ACL path such as /vms/100');
		const entry = { privilege: o.privilege, ...(o.path === undefined ? {} : { path: (o.path as string).replace(/\/+$/, '') || '/' }) };
		steps.push(() => f.revokedPrivileges.push(entry));
	}
	if ('ignoreShutdown' in body) {
		const o = asObject(body.ignoreShutdown, 'ignoreShutdown');
		const vmid = asInt(o.vmid, 'ignoreShutdown.vmid');
		const on = o.ignore !== false;
		steps.push(() => {
			f.ignoreShutdown = f.ignoreShutdown.filter((v) => v !== vmid);
			if (on) f.ignoreShutdown.push(vmid);
		});
	}
	if ('nodeOffline' in body) {
		const o = asObject(body.nodeOffline, 'nodeOffline');
		const node = o.node;
		if (typeof node !== 'string' || !actions.nodes().includes(node)) throw new FaultError(`nodeOffline.node must be one of ${actions.nodes().join(', ')}`);
		const offline = o.offline !== false;
		steps.push(() => {
			f.offlineNodes = f.offlineNodes.filter((n) => n !== node);
			if (offline) f.offlineNodes.push(node);
		});
	}
	for (const s of steps) s();
	return result;
}

/** True when the request carries `Authorization: Bearer <secret>` (compared in constant time). */
export function controlAuthorized(header: string | undefined, secret: string): boolean {
	const m = /^Bearer (\S+)$/.exec(header?.trim() ?? '');
	if (!m) return false;
	const a = Buffer.from(m[1]);
	const b = Buffer.from(secret);
	return a.length === b.length && timingSafeEqual(a, b);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
	const chunks: Buffer[] = [];
	for await (const c of req) chunks.push(c as Buffer);
	try {
		return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
	} catch {
		throw new FaultError('body must be JSON');
	}
}

export function startControl(f: Faults, actions: ControlActions, port: number, secret: string): Promise<Server> {
	const server = createServer((req, res) => void handle(req, res));
	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const send = (status: number, body: unknown) => {
			res.writeHead(status, { 'Content-Type': 'application/json' });
			res.end(JSON.stringify(body));
		};
		try {
			const path = (req.url ?? '/').split('?')[0];
			if (!controlAuthorized(req.headers.authorization, secret)) {
				res.setHeader('WWW-Authenticate', 'Bearer realm="pve-sim control"');
				return send(401, { error: 'control endpoint needs Authorization: Bearer <control.secret from sim.json>' });
			}
			if (req.method === 'GET' && path === '/faults') return send(200, f);
			if (req.method === 'GET' && path === '/state') return send(200, actions.state());
			if (req.method === 'GET' && path === '/requests') return send(200, actions.requests());
			if (req.method === 'GET' && path === '/network') return send(200, actions.network());
			if (req.method === 'POST' && path === '/network') {
				const body = asObject(await readJson(req), 'body');
				for (const k of Object.keys(body)) if (k !== 'gatewayPorts') throw new FaultError(`unknown network setting '${k}' (known: gatewayPorts)`);
				return send(200, await actions.setGatewayPorts(body.gatewayPorts));
			}
			if (req.method === 'POST' && path === '/faults') {
				const body = await readJson(req);
				const result = applyFaults(f, asObject(body, 'body'), actions);
				return send(200, { ok: true, ...result, faults: f });
			}
			send(404, { error: `no such control endpoint: ${req.method} ${path}` });
		} catch (err) {
			send(err instanceof FaultError ? 400 : 500, { error: err instanceof Error ? err.message : String(err) });
		}
	}
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen({ host: '127.0.0.1', port }, () => resolve(server));
	});
}
