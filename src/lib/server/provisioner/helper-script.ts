// Phase 2: a community-scripts style helper script, run unattended against this CT from the Proxmox host
// (`pct exec <vmid> -- env var_*=… bash <script>`), with a timeout. The script is fetched by Spyre, not by
// the host or the CT, and must match its pinned SHA-256 before a byte of it is written anywhere: an
// unpinned remote script is refused by the config schema, and a changed one fails here.

import { createHash } from 'node:crypto';
import type { ResolvedHelperScript } from '$lib/shared/types/configs';
import * as configs from '../configs';
import { SpyreError, messageOf } from '../errors';
import type { Run } from '../jobs';
import { command } from '../shell';
import * as ssh from '../ssh';
import { REMOTE_DIR } from './commands';
import { proxmoxHostPool, proxmoxHostTarget } from './proxmox-host';
import { runRecorded } from './step-output';

/** Largest helper script Spyre fetches. Community scripts are a few KiB. */
export const MAX_HELPER_BYTES = 1024 * 1024;
const FETCH_TIMEOUT_MS = 30_000;

export function sha256Hex(data: Buffer): string {
	return createHash('sha256').update(data).digest('hex');
}

async function fetchScript(url: string, signal: AbortSignal, fetcher: typeof fetch): Promise<Buffer> {
	let res: Response;
	try {
		res = await fetcher(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]), redirect: 'follow' });
	} catch (err) {
		if (signal.aborted) throw signal.reason;
		throw new SpyreError('bad_request', `Could not download the helper script from ${url}: ${messageOf(err)}`);
	}
	if (!res.ok) throw new SpyreError('bad_request', `Could not download the helper script from ${url}: HTTP ${res.status} ${res.statusText}`);
	const declared = Number(res.headers.get('content-length') ?? '0');
	if (declared > MAX_HELPER_BYTES) throw new SpyreError('payload_too_large', `The helper script at ${url} is larger than ${MAX_HELPER_BYTES} bytes.`);
	// Read with a running count, so a server that lies about (or omits) its length cannot make us buffer more.
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of (res.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
		size += chunk.byteLength;
		if (size > MAX_HELPER_BYTES) throw new SpyreError('payload_too_large', `The helper script at ${url} is larger than ${MAX_HELPER_BYTES} bytes.`);
		chunks.push(Buffer.from(chunk));
	}
	return Buffer.concat(chunks);
}

/** The script's bytes, checked against its pin. */
export async function loadHelperScript(hs: ResolvedHelperScript, signal: AbortSignal, fetcher: typeof fetch = fetch): Promise<Buffer> {
	let data: Buffer;
	if (hs.file) data = configs.readConfigAsset(hs.file);
	else if (hs.url) {
		if (!hs.sha256) throw new SpyreError('validation', 'A helper script given by URL must be pinned with sha256.');
		data = await fetchScript(hs.url, signal, fetcher);
	} else throw new SpyreError('validation', 'helper_script needs a url or a file.');
	const actual = sha256Hex(data);
	if (hs.sha256 && actual !== hs.sha256.toLowerCase()) {
		throw new SpyreError('bad_request', `The helper script does not match its pin: expected sha256 ${hs.sha256}, got ${actual}. Refusing to run it.`);
	}
	return data;
}

/** The host-side command: run the script inside CT `vmid` with its variables. */
export function helperCommand(vmid: number, remotePath: string, vars: Record<string, string>): string {
	const env = Object.entries({ ...vars, CTID: String(vmid), DEBIAN_FRONTEND: 'noninteractive' }).map(([k, v]) => `${k}=${v}`);
	return command('pct', 'exec', vmid, '--', 'env', ...env, 'bash', remotePath);
}

export async function runHelperScript(run: Run, vmid: number, ct: ssh.SshTarget, hs: ResolvedHelperScript, signal: AbortSignal): Promise<void> {
	const data = await loadHelperScript(hs, signal);
	run.event('status', `Helper script ${hs.file ?? hs.url} (sha256 ${sha256Hex(data).slice(0, 12)}…, ${data.length} bytes) verified.`);
	const remote = `${REMOTE_DIR}/helper/${sha256Hex(data)}.sh`;
	const prep = await ssh.exec(ct, `${command('mkdir', '-p', `${REMOTE_DIR}/helper`)} && ${command('chmod', '0700', REMOTE_DIR + '/helper')}`, { timeoutMs: 30_000 });
	if (prep.code !== 0) throw new SpyreError('ssh', `Could not prepare ${REMOTE_DIR}/helper in the container: ${prep.stderr.trim()}`);
	await ssh.writeFile(ct, remote, data, { mode: 0o700 });
	const host = proxmoxHostTarget();
	const pool = proxmoxHostPool();
	run.event('status', `Running it on the Proxmox host with pct exec ${vmid} (timeout ${hs.timeout} s).`);
	await runRecorded(run, (cmd, opts) => pool.execStream(host, cmd, opts), helperCommand(vmid, remote, hs.vars), {
		label: 'The helper script',
		timeoutMs: hs.timeout * 1000,
		signal
	});
}
