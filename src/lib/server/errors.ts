// The one typed error that server modules throw. Routes map `code` to an HTTP status; the message is
// written for the person using Spyre (no stack traces, no secrets).

export type SpyreErrorCode =
	| 'bad_request'
	| 'validation'
	| 'unauthenticated'
	| 'forbidden'
	| 'not_found'
	| 'conflict'
	| 'rate_limited'
	| 'payload_too_large'
	| 'config'
	| 'proxmox'
	| 'proxmox_unreachable'
	| 'proxmox_auth'
	| 'ssh'
	| 'ssh_auth'
	| 'ssh_host_key'
	| 'timeout'
	| 'claude_missing'
	| 'broker'
	| 'internal';

const STATUS: Record<SpyreErrorCode, number> = {
	bad_request: 400,
	validation: 422,
	unauthenticated: 401,
	forbidden: 403,
	not_found: 404,
	conflict: 409,
	rate_limited: 429,
	payload_too_large: 413,
	config: 500,
	proxmox: 502,
	proxmox_unreachable: 503,
	proxmox_auth: 502,
	ssh: 502,
	ssh_auth: 502,
	ssh_host_key: 502,
	timeout: 504,
	claude_missing: 409,
	/** The Claude credential broker is not configured or an environment cannot reach it. */
	broker: 503,
	internal: 500
};

export class SpyreError extends Error {
	readonly code: SpyreErrorCode;
	/** Per-field problems, for inline form errors (field name -> message). */
	readonly fields?: Record<string, string>;

	constructor(code: SpyreErrorCode, message: string, options: { cause?: unknown; fields?: Record<string, string> } = {}) {
		super(message, { cause: options.cause });
		this.name = 'SpyreError';
		this.code = code;
		this.fields = options.fields;
	}

	get status(): number {
		return STATUS[this.code];
	}
}

export function isSpyreError(value: unknown): value is SpyreError {
	return value instanceof SpyreError;
}

export function httpStatusFor(code: SpyreErrorCode): number {
	return STATUS[code];
}

/** The code for a status SvelteKit chose (`error(404)`): the first code with that status in the table above. */
export function codeForStatus(status: number): SpyreErrorCode {
	const code = (Object.keys(STATUS) as SpyreErrorCode[]).find((c) => STATUS[c] === status);
	return code ?? (status >= 500 ? 'internal' : 'bad_request');
}

/** A short message for any thrown value, never a stack. */
export function messageOf(err: unknown): string {
	if (err instanceof Error) return err.message;
	return String(err);
}
