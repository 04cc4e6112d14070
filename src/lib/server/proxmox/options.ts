// The option and result shapes of the Proxmox client, apart from the code so that the transport, the task
// waiters and the client can share them without importing one another.

import type { Dispatcher } from 'undici';
import type { TaskLogLine } from '$lib/shared/types/proxmox';
import type { ProxmoxTlsOptions } from './tls';

export interface ProxmoxClientOptions {
	/** `https://host:8006` (a trailing `/api2/json` is accepted too). */
	url: string;
	/** `USER@REALM!TOKENID` */
	tokenId: string;
	tokenSecret: string;
	tls?: ProxmoxTlsOptions;
	/** Per HTTP request, including reading the body. Default 15 s. */
	requestTimeoutMs?: number;
	/** Default deadline of waitForTask. Default 5 min. */
	taskTimeoutMs?: number;
	/** Default deadline of waitForIp. Default 2 min. */
	ipTimeoutMs?: number;
	/** Extra attempts for idempotent GETs after a network error or a transient 5xx. Default 2. */
	retries?: number;
	/** First retry delay, doubled each retry. Default 250 ms. */
	retryDelayMs?: number;
	/** Replaces the TLS-configured dispatcher (tests: an undici MockAgent). Not closed by close(). */
	dispatcher?: Dispatcher;
}

export interface CallOptions {
	signal?: AbortSignal;
}

export interface WaitForTaskOptions extends CallOptions {
	/** Deadline in ms; default the client's taskTimeoutMs. */
	timeout?: number;
	/** Called once per new log line, in order, as the task writes them. */
	onLog?: (line: TaskLogLine) => void;
	/** Poll interval: starts at `initialMs` (250), grows by 1.5x up to `maxMs` (2000). */
	poll?: { initialMs?: number; maxMs?: number };
}

export interface WaitForIpOptions extends CallOptions {
	/** Deadline in ms; default the client's ipTimeoutMs. */
	timeout?: number;
	/** First poll interval, doubled each poll up to 3 s. Default 500 ms. */
	intervalMs?: number;
	/** Why a reported address may not be used (null: it may); unusable ones are waited past. */
	accept?: (ip: string) => string | null;
}

export interface ProxmoxStats {
	/** HTTP requests sent, retries included. */
	total: number;
	/** Per `METHOD /path/{template}` (no query string), e.g. `GET /cluster/resources`. */
	byEndpoint: Record<string, number>;
}
