// Ports found for you: the TCP ports listening in an environment (read over SSH, parsed by ./parse.ts as
// hostile input), and Share / Unshare of one of them as an http service named `p<port>` through the
// declared services' machinery (proxy/: the same host rule, route, forward_auth and credentials).
// Nothing here polls: a scan runs when a page asks (every 5 s while one is open), and viewers of the same
// environment within SCAN_TTL_MS share one scan, so an environment nobody looks at costs nothing.

import { getConfig } from '../env-config';
import { SpyreError } from '../errors';
import { getEnvironment } from '../environments/repo';
import { requireReachable } from '../environments/reachable';
import { serviceShared, serviceUnshared, serviceViews, proxyMode, NO_SERVICE_URL, type ServiceView } from '../proxy';
import * as ssh from '../ssh';
import { singleton } from '../singleton';
import type { ListeningPort, PortView, PortsView } from '$lib/shared/types/ports';
import { PROC_MARK, SS_MARK, parseScan } from './parse';

/** Viewers asking within this long of a scan get that scan (the page asks every 5 s). */
export const SCAN_TTL_MS = 4_000;
const SCAN_TIMEOUT_MS = 10_000;
/** Far more than ss prints for MAX_PORTS listeners; a CT that prints more gets an error, not a parse. */
const MAX_SCAN_BYTES = 512 * 1024;

// A constant (no data in it, so nothing to quote). `ss` when the CT has it (Debian templates ship
// iproute2), else the kernel's tables; the first line says which, for parseScan.
const SCAN_COMMAND = `if command -v ss >/dev/null 2>&1; then echo ${SS_MARK}; ss -Hltnp; else echo ${PROC_MARK}; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; fi`;

interface Scan {
	source: 'ss' | 'proc';
	ports: ListeningPort[];
	at: number;
}

const scans = singleton('ports.scans', () => new Map<string, { at: number; scan: Promise<Scan> }>());

/** The name a shared port's service gets: a DNS label (DNS_LABEL_RE) that no port of another number shares. */
export function sharedName(port: number): string {
	return `p${port}`;
}

function validPort(value: unknown): number {
	const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
	if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
		throw new SpyreError('validation', 'The port must be a whole number from 1 to 65535.', { fields: { port: 'A port is 1 to 65535.' } });
	}
	return port;
}

async function runScan(envId: string): Promise<Scan> {
	const target = requireReachable(envId);
	const res = await ssh.exec(target, SCAN_COMMAND, { timeoutMs: SCAN_TIMEOUT_MS, maxOutputBytes: MAX_SCAN_BYTES });
	const parsed = parseScan(res.stdout);
	if (!parsed) throw new SpyreError('ssh', 'The environment did not answer the port scan in a form Spyre reads (neither ss nor /proc/net/tcp).');
	return { ...parsed, at: Date.now() };
}

/** One scan per environment per SCAN_TTL_MS, shared by every viewer; a failed scan is not kept. */
function scan(envId: string): Promise<Scan> {
	const now = Date.now();
	for (const [id, s] of scans) if (now - s.at >= SCAN_TTL_MS) scans.delete(id);
	const cached = scans.get(envId);
	if (cached) return cached.scan;
	const fresh = runScan(envId);
	scans.set(envId, { at: now, scan: fresh });
	fresh.catch(() => scans.delete(envId));
	return fresh;
}

/** What the environment page lists: listening ports (not Spyre's own SSH port) and every shared one. */
export async function listPorts(envId: string): Promise<PortsView> {
	const s = await scan(envId);
	const sshPort = getConfig().ssh.port;
	const services = serviceViews(envId);
	const byPort = new Map(services.map((v) => [v.port, v]));
	const ports: PortView[] = s.ports.filter((p) => p.port !== sshPort).map((p) => ({ ...p, listening: true, service: byPort.get(p.port) ?? null }));
	for (const v of services) {
		if (v.shared && !ports.some((p) => p.port === v.port)) ports.push({ port: v.port, addresses: [], processes: [], loopbackOnly: false, listening: false, service: v });
	}
	ports.sort((a, b) => a.port - b.port);
	return { source: s.source, scannedAt: s.at, ports, shareNote: proxyMode() ? null : NO_SERVICE_URL };
}

function hostnameOf(envId: string): string {
	const row = getEnvironment(envId);
	if (!row) throw new SpyreError('not_found', `Environment ${envId} does not exist.`);
	return row.hostname;
}

/** Share a port that listens in the environment now, reachable from Caddy (not loopback-only, not SSH). */
export async function sharePort(envId: string, rawPort: unknown): Promise<{ service: ServiceView; warning: string | null }> {
	const port = validPort(rawPort);
	const hostname = hostnameOf(envId);
	if (port === getConfig().ssh.port) throw new SpyreError('validation', `Port ${port} is Spyre's SSH to ${hostname}; it cannot be shared as a web page.`, { fields: { port: 'SSH.' } });
	// A fresh look, so a port that stopped listening since the page drew it is refused with the reason.
	scans.delete(envId);
	const found = (await scan(envId)).ports.find((p) => p.port === port);
	if (!found) throw new SpyreError('conflict', `Nothing listens on port ${port} in ${hostname} now.`, { fields: { port: 'Not listening.' } });
	if (found.loopbackOnly) {
		throw new SpyreError(
			'conflict',
			`Port ${port} in ${hostname} listens on ${found.addresses.join(', ')} only, which Caddy cannot reach. Bind it to 0.0.0.0 (or the environment's address) and share again.`,
			{
				fields: { port: 'Loopback only.' }
			}
		);
	}
	return serviceShared(envId, hostname, sharedName(port), port);
}

export async function unsharePort(envId: string, rawPort: unknown): Promise<{ name: string; warning: string | null }> {
	return serviceUnshared(envId, hostnameOf(envId), validPort(rawPort));
}
