// Spyre's JSON calls from the browser (URLs come from ./routes). Errors come back as ApiError with the
// server's message and per-field problems, never as a raw exception text; an aborted request (its
// `signal` fired) rethrows the AbortError so the error funnel can ignore it.

import { pageRoutes } from '$lib/shared/routes';

export class ApiError extends Error {
	readonly status: number;
	readonly code: string;
	readonly fields: Record<string, string>;
	constructor(status: number, code: string, message: string, fields: Record<string, string> = {}) {
		super(message);
		this.status = status;
		this.code = code;
		this.fields = fields;
	}
}

export async function call<T>(method: string, url: string, body?: unknown, init: { signal?: AbortSignal } = {}): Promise<T> {
	let res: Response;
	try {
		res = await fetch(url, {
			method,
			headers: body === undefined ? {} : { 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: init.signal
		});
	} catch (err) {
		if (init.signal?.aborted) throw err;
		throw new ApiError(0, 'network', 'Spyre did not answer. Check your connection and try again.');
	}
	let data: unknown = null;
	try {
		data = await res.json();
	} catch {
		// Non-JSON answers are handled below by status.
	}
	if (!res.ok) {
		const d = (data ?? {}) as { error?: string; code?: string; fields?: Record<string, string> };
		if (res.status === 401) location.href = pageRoutes.login(location.pathname);
		throw new ApiError(res.status, d.code ?? 'error', d.error ?? `Request failed (${res.status}).`, d.fields ?? {});
	}
	return data as T;
}
