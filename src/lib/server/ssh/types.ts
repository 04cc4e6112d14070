// The SSH module's public types, in one place so the pieces (connection, slots, exec, pty, sftp, pool)
// share them through type-only imports of this file instead of importing one another for a type.

import type { EventEmitter } from 'node:events';
import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import type { SpyreError } from '../errors';

/** Where pinned host-key fingerprints live: for the server's pool, the environments table (environments/host-keys.ts). */
export interface HostKeyStore {
	get(envId: string): string | null;
	/** Pin only if nothing is pinned yet (a concurrent first connect must not overwrite). */
	pin(envId: string, fingerprint: string): void;
	/** Replace whatever is pinned (a person re-trusted the key). Optional: without it, clear then pin. */
	set?(envId: string, fingerprint: string): void;
	clear(envId: string): void;
}

export interface SshTarget {
	envId: string;
	host: string;
	port?: number;
}

export interface SshPoolOptions {
	privateKey: string | Buffer;
	user: string;
	port: number;
	connectTimeoutMs: number;
	keepaliveIntervalMs: number;
	keepaliveCountMax: number;
	idleCloseMs: number;
	hostKeys: HostKeyStore;
	/** Reconnect backoff after a lost link or a failed connect: exponential from baseMs, capped, jittered. */
	backoff?: { baseMs: number; maxMs: number };
	/**
	 * Channels per SSH connection before the pool opens another connection to the same environment.
	 * OpenSSH's MaxSessions defaults to 10; a refused channel open also lowers the limit it learns.
	 */
	channelsPerConnection?: number;
	/** Connections per environment at most (so 8 × 10 channels by default). */
	maxConnectionsPerEnv?: number;
}

export interface ExecOptions {
	timeoutMs?: number;
	stdin?: string | Buffer;
	/** stdout + stderr beyond this many bytes is an error (default 16 MiB). */
	maxOutputBytes?: number;
}

export interface ExecResult {
	code: number | null;
	signal?: string;
	stdout: string;
	stderr: string;
}

export interface ExecStreamOptions {
	/** Decoded text as it arrives (never split inside a UTF-8 character). */
	onStdout?(chunk: string): void;
	onStderr?(chunk: string): void;
	/** Whole lines without their newline; a line longer than 64 KiB arrives in pieces. */
	onLine?(line: string, stream: 'stdout' | 'stderr'): void;
	/** Aborting kills the remote command and resolves with `cancelled: true`. */
	signal?: AbortSignal;
	/** After this long the remote command is killed and the result has `timedOut: true`. */
	timeoutMs?: number;
	/** Bytes of combined output kept in `output`: half head, half tail (default 128 KiB). */
	maxBufferBytes?: number;
}

export interface ExecStreamResult {
	/** The exit status; null when the command was killed by a signal or the channel closed without one. */
	code: number | null;
	signal: string | null;
	timedOut: boolean;
	cancelled: boolean;
	/** Head and tail of stdout and stderr in arrival order, with a marker where bytes were dropped. */
	output: string;
	truncated: boolean;
}

export interface SftpOptions {
	/** Give up (and close the SFTP channel) after this long (default 60 s). */
	timeoutMs?: number;
}

export interface WriteFileOptions extends SftpOptions {
	/** Permission bits of the file, set exactly (not filtered by the server's umask). Default 0o644. */
	mode?: number;
}

export interface ReadFileOptions extends SftpOptions {
	/** Refuse files larger than this (default 16 MiB). */
	maxBytes?: number;
}

export interface PtyOptions {
	cols: number;
	rows: number;
	term?: string;
	env?: Record<string, string>;
}

/** A channel with a pseudo-terminal. `stream` is the raw duplex (stdout on read, stdin on write). */
export interface PtyHandle {
	readonly stream: ClientChannel;
	/** Resolves when the channel closes, with the remote exit status if one was sent. */
	readonly closed: Promise<{ code: number | null; signal?: string }>;
	resize(cols: number, rows: number): void;
	close(): void;
	/** Called once if the SSH connection under this channel is lost (not when the channel just ends). */
	onConnectionLost(listener: (err: SpyreError) => void): () => void;
}

/** What a raw channel (`SshPool.openRaw`) opens on the environment's sshd. */
export type RawChannelRequest =
	| { kind: 'exec'; command: string; pty?: PseudoTtyOptions; env?: Record<string, string> }
	| { kind: 'shell'; pty?: PseudoTtyOptions; env?: Record<string, string> }
	| { kind: 'subsystem'; name: string }
	/** direct-tcpip from the environment's sshd to host:port (relative to the environment). */
	| { kind: 'forward'; host: string; port: number; srcHost: string; srcPort: number };

/** How a raw channel's remote command ended: an exit status, or the signal that killed it. */
export type RawExit = { code: number } | { code: null; signal: string; dump: boolean; desc: string };

export interface RawChannel {
	/** The bare ssh2 stream: stdout on read (stderr on `.stderr`), stdin on write. */
	readonly stream: ClientChannel;
	/** The exit status once the remote side sent one (before 'close'), else null. */
	exit(): RawExit | null;
}

export interface PoolStats {
	connections: Array<{
		envId: string;
		host: string;
		port: number;
		state: 'connecting' | 'ready';
		channels: number;
		connectedAt: number | null;
	}>;
	channels: number;
	connects: number;
	connectFailures: number;
	lostConnections: number;
	idleCloses: number;
}

export interface SshPool extends EventEmitter {
	getConnection(target: SshTarget): Promise<Client>;
	exec(target: SshTarget, cmd: string, opts?: ExecOptions): Promise<ExecResult>;
	/** Run a command, streaming its output; resolves (never rejects) whatever its exit status. */
	execStream(target: SshTarget, cmd: string, opts?: ExecStreamOptions): Promise<ExecStreamResult>;
	openPty(target: SshTarget, cmd: string, opts: PtyOptions): Promise<PtyHandle>;
	openShell(target: SshTarget, opts: PtyOptions): Promise<PtyHandle>;
	/** A bare channel for a relay that moves the bytes itself (the SSH gateway); counted in the slots until it closes. */
	openRaw(target: SshTarget, request: RawChannelRequest): Promise<RawChannel>;
	/** Write a file atomically over SFTP (temp file beside it, then rename). */
	writeFile(target: SshTarget, path: string, content: string | Buffer, opts?: WriteFileOptions): Promise<void>;
	readFile(target: SshTarget, path: string, opts?: ReadFileOptions): Promise<Buffer>;
	verifySsh(target: SshTarget): Promise<{ fingerprint: string }>;
	/** The fingerprint of the host key the target's sshd presents now (handshake only, no login). */
	presentedHostKey(target: SshTarget): Promise<string>;
	/**
	 * Pin `fingerprint` as the target's host key, but only if it is the key the target presents now;
	 * otherwise a `conflict` error. Closes the environment's connections so the next one uses the new pin.
	 */
	trustHostKey(target: SshTarget, fingerprint: string): Promise<{ fingerprint: string; previous: string | null }>;
	/** Forget the pinned host key: the next connection pins whatever it is shown (trust on first use). */
	forgetHostKey(envId: string): void;
	/** Close one environment's connection (e.g. before destroy). */
	close(envId: string): Promise<void>;
	closeAll(): Promise<void>;
	stats(): PoolStats;
}
