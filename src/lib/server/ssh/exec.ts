// Buffered exec: run a command without a terminal, collect stdout and stderr (bounded), resolve with the
// exit status. For short commands whose whole output the caller wants; long or chatty ones belong in
// `execStream` (exec-stream.ts), which streams and keeps only a head and a tail.

import type { ClientChannel } from 'ssh2';
import { SpyreError } from '../errors';
import type { Entry } from './connection';
import { openChannel, type SlotHost } from './slots';
import type { ExecOptions, ExecResult } from './types';

/**
 * Stop a command whose result nobody waits for any more. OpenSSH (7.9+) delivers the "signal" request to
 * the session's process (the login shell, or the command it exec'd); older servers ignore it. Closing our
 * side then frees the channel slot.
 */
export function killChannel(channel: ClientChannel): void {
	try {
		channel.signal('KILL');
	} catch {
		// Not supported or already closed.
	}
	try {
		channel.close();
	} catch {
		// Already closed.
	}
}

export async function execOn(host: SlotHost, entry: Entry, cmd: string, opts: ExecOptions): Promise<ExecResult> {
	const max = opts.maxOutputBytes ?? 16 * 1024 * 1024;
	let settle!: { resolve: (r: ExecResult) => void; reject: (e: unknown) => void };
	const result = new Promise<ExecResult>((resolve, reject) => (settle = { resolve, reject }));
	await openChannel(
		host,
		entry,
		(cb: (err: Error | undefined, ch: ClientChannel) => void) => entry.client!.exec(cmd, cb),
		(channel) => {
			const out: Buffer[] = [];
			const errOut: Buffer[] = [];
			let size = 0;
			let code: number | null = null;
			let signal: string | undefined;
			let done = false;
			const finish = (err: SpyreError | null) => {
				if (done) return;
				done = true;
				if (timer) clearTimeout(timer);
				entry.lostListeners.delete(lost);
				if (err) settle.reject(err);
				else settle.resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') });
			};
			const abort = (err: SpyreError) => {
				killChannel(channel);
				finish(err);
			};
			const timer = opts.timeoutMs ? setTimeout(() => abort(new SpyreError('timeout', `Command on environment ${entry.envId} timed out after ${opts.timeoutMs} ms.`)), opts.timeoutMs) : null;
			const onData = (into: Buffer[]) => (chunk: Buffer) => {
				size += chunk.length;
				if (size > max) {
					abort(new SpyreError('ssh', `Command output from environment ${entry.envId} exceeded ${max} bytes.`));
					return;
				}
				into.push(chunk);
			};
			const lost = (err: SpyreError) => finish(err);
			entry.lostListeners.add(lost);
			channel.on('data', onData(out));
			channel.stderr.on('data', onData(errOut));
			channel.on('exit', (c: number | null, sig?: string) => {
				code = c;
				signal = sig ?? undefined;
			});
			// The lost-connection listener runs on the client's 'close', after ssh2 closed the channels.
			channel.on('close', () => setImmediate(() => finish(null)));
			if (opts.stdin !== undefined) channel.end(opts.stdin);
			else channel.end();
		}
	);
	return result;
}
