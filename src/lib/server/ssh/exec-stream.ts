// Streaming exec: run a long command (a package install, a provisioning script) and hand its output to
// the caller as it arrives, chunk by chunk and line by line, keeping only a bounded head and tail for the
// result. Resolves whatever the exit status (the caller decides what a failure is); rejects only when the
// SSH link itself fails or a callback throws.
//
// Stopping a command (timeout, AbortSignal). Closing the channel alone does not stop a command that is
// not writing. sshd starts every session with setsid(), so the login shell leads a fresh process group,
// and OpenSSH 7.9+ answers a "signal" channel request with killpg() on that group, but only from a
// privilege-separated session: for a root login (how Spyre logs in to containers) sshd 9.2 refuses it
// ("session signalling requires privilege separation"), as it does for forced commands and subsystems.
// So the signal is only the first try (ssh2 sends it only while our side of the channel is open, hence
// the command reads /dev/null instead of an EOF from us). What works everywhere: the wrapper prints the
// group's PID on the first stdout line (stripped before the caller sees anything) and on abort the pool
// runs `kill -KILL -- -<pgid>` over a second channel. The whole group goes: pipelines, subshells, a
// `sleep` inside a loop. A child that calls setsid() itself (a daemon) escapes, by design.

import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import { SpyreError } from '../errors';
import { quote } from '../shell';
import type { Entry } from './connection';
import { killChannel } from './exec';
import { LineSplitter } from './line-splitter';
import { HeadTailBuffer } from './output-buffer';
import { openChannel, type SlotHost } from './slots';
import type { ExecStreamOptions, ExecStreamResult } from './types';

/**
 * The command line actually sent: report the process group, then become the command, reading /dev/null.
 * (Its stdin is /dev/null rather than an EOF from us because ssh2 drops the "signal" request once our
 * side of the channel is ended.)
 */
export function wrapForGroupKill(cmd: string): string {
	return `printf '%s\\n' "$$"; exec "\${SHELL:-/bin/sh}" -c ${quote(cmd)} </dev/null`;
}

/**
 * Reads the PID line the wrapper prints before anything else on stdout. Everything after it is output.
 * If the first line is not a PID (a server that ran something else), everything is passed through.
 */
export class PidLineReader {
	#pending: Buffer | null = Buffer.alloc(0);
	pid: number | null = null;

	/** Returns the part of `chunk` that is the command's own output. */
	push(chunk: Buffer): Buffer {
		if (this.#pending === null) return chunk;
		const joined = Buffer.concat([this.#pending, chunk]);
		const nl = joined.indexOf(0x0a);
		if (nl === -1) {
			if (joined.length <= 24) {
				this.#pending = joined;
				return Buffer.alloc(0);
			}
			this.#pending = null;
			return joined;
		}
		this.#pending = null;
		const line = joined.subarray(0, nl).toString('latin1');
		if (!/^[0-9]{1,10}$/.test(line)) return joined;
		this.pid = Number(line);
		return joined.subarray(nl + 1);
	}

	/** Bytes held back when the stream ends before a newline. */
	flush(): Buffer {
		const rest = this.#pending ?? Buffer.alloc(0);
		this.#pending = null;
		return rest;
	}
}

type StreamName = 'stdout' | 'stderr';

export interface StreamDeps {
	/** Kill a process group on the same environment over another channel (best effort, bounded). */
	killGroup(pgid: number): Promise<void>;
}

export function execStreamOn(host: SlotHost, entry: Entry, cmd: string, opts: ExecStreamOptions, deps: StreamDeps): Promise<ExecStreamResult> {
	let settle!: { resolve: (r: ExecStreamResult) => void; reject: (e: unknown) => void };
	const result = new Promise<ExecStreamResult>((resolve, reject) => (settle = { resolve, reject }));
	const output = new HeadTailBuffer(opts.maxBufferBytes ?? 128 * 1024);
	const wantText = Boolean(opts.onStdout || opts.onStderr || opts.onLine);

	const opened = openChannel(
		host,
		entry,
		(cb: (err: Error | undefined, ch: ClientChannel) => void) => entry.client!.exec(wrapForGroupKill(cmd), cb),
		(channel) => {
			const pidReader = new PidLineReader();
			let code: number | null = null;
			let exitSignal: string | null = null;
			let stopping: 'timeout' | 'cancel' | null = null;
			let callbackError: unknown = null;
			let done = false;
			let forceTimer: NodeJS.Timeout | null = null;

			const sink = (name: StreamName) => {
				const decoder = new StringDecoder('utf8');
				const onChunk = name === 'stdout' ? opts.onStdout : opts.onStderr;
				const lines = opts.onLine ? new LineSplitter((line) => opts.onLine!(line, name)) : null;
				const deliver = (text: string) => {
					if (text === '' || callbackError) return;
					try {
						onChunk?.(text);
						lines?.push(text);
					} catch (err) {
						// A throwing callback must not escape into ssh2's event loop; stop the command instead.
						callbackError = err;
						void stop('cancel');
					}
				};
				return {
					write(buf: Buffer) {
						if (buf.length === 0) return;
						output.push(buf);
						if (wantText) deliver(decoder.write(buf));
					},
					end() {
						if (!wantText) return;
						deliver(decoder.end());
						if (!callbackError) {
							try {
								lines?.end();
							} catch (err) {
								callbackError = err;
							}
						}
					}
				};
			};
			const stdout = sink('stdout');
			const stderr = sink('stderr');

			const finish = (err: unknown) => {
				if (done) return;
				done = true;
				if (timer) clearTimeout(timer);
				if (forceTimer) clearTimeout(forceTimer);
				opts.signal?.removeEventListener('abort', onAbort);
				entry.lostListeners.delete(lost);
				stdout.write(pidReader.flush());
				stdout.end();
				stderr.end();
				const failure = err ?? callbackError;
				if (failure) return settle.reject(failure);
				settle.resolve({
					code,
					signal: exitSignal,
					timedOut: stopping === 'timeout',
					cancelled: stopping === 'cancel',
					output: output.toString(),
					truncated: output.truncated
				});
			};

			async function stop(why: 'timeout' | 'cancel') {
				if (done || stopping) return;
				stopping = why;
				try {
					channel.signal('KILL');
				} catch {
					// Not supported or already closed.
				}
				// A PID of 0 or 1 would mean "every process": only a real group leader is killed.
				if (pidReader.pid !== null && pidReader.pid > 1) await deps.killGroup(pidReader.pid).catch(() => {});
				killChannel(channel);
				// The channel normally closes right away; never hang on a server that does not confirm.
				forceTimer = setTimeout(() => finish(null), 2000);
			}

			const timer = opts.timeoutMs ? setTimeout(() => void stop('timeout'), opts.timeoutMs) : null;
			const onAbort = () => void stop('cancel');
			opts.signal?.addEventListener('abort', onAbort, { once: true });
			if (opts.signal?.aborted) onAbort();
			const lost = (err: SpyreError) => finish(err);
			entry.lostListeners.add(lost);

			channel.on('data', (chunk: Buffer) => stdout.write(pidReader.push(chunk)));
			channel.stderr.on('data', (chunk: Buffer) => stderr.write(chunk));
			channel.on('exit', (c: number | null, sig?: string) => {
				code = c;
				exitSignal = sig ?? null;
			});
			// The lost-connection listener runs on the client's 'close', after ssh2 closed the channels.
			channel.on('close', () => setImmediate(() => finish(null)));
			// stdin stays open (the command reads /dev/null, see wrapForGroupKill) so signal() still works.
		}
	);
	return opened.then(() => result);
}

/** What a caller gets when its signal was aborted before the command started. */
export function notStarted(): ExecStreamResult {
	return { code: null, signal: null, timedOut: false, cancelled: true, output: '', truncated: false };
}

export function assertStreamOptions(opts: ExecStreamOptions): void {
	if (opts.timeoutMs !== undefined && !(Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0)) {
		throw new SpyreError('internal', `execStream: timeoutMs must be a positive number, got ${opts.timeoutMs}.`);
	}
}
