// Environments through Spyre's HTTP API, for tests that drive a running Spyre (startSpyre): a signed-in
// request function, create (or provision from a config) and wait until the environment is ready. A failed
// environment ends the wait at once with its error, so a test never sits out its timeout for nothing.
// Must not import vitest or Playwright: both runners use it.

/** A request as the signed-in browser sends it: the session cookie, its Origin, a JSON body. */
export type Api = (method: string, path: string, body?: unknown) => Promise<Response>;

export function signedInApi(baseUrl: string, cookie: string): Api {
	const origin = new URL(baseUrl).origin;
	return (method, path, body) =>
		fetch(new URL(path, baseUrl), {
			method,
			// Origin as a browser sends it: Spyre refuses mutating requests without one.
			headers: { cookie, origin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
			body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
			redirect: 'manual'
		});
}

/** What GET /api/environments/:id answers, as far as these helpers read it. */
export interface EnvironmentView {
	id: string;
	status: string;
	ip: string | null;
	vmid?: number | null;
	error?: string | null;
}

export interface WaitOptions {
	/** Default 120 s: a CT create plus its first SSH on a busy machine. */
	timeoutMs?: number;
	/** Return an environment in `error` instead of throwing (tests that assert on the failure). */
	acceptError?: boolean;
}

/** Poll until the environment runs with an address (or, with `acceptError`, has failed). */
/** `V`: the caller's own view type, when it reads more of the answer. */
export async function waitForEnvironment<V extends EnvironmentView = EnvironmentView>(api: Api, id: string, opts: WaitOptions = {}): Promise<V> {
	const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
	let last: V | null;
	for (;;) {
		const res = await api('GET', `/api/environments/${encodeURIComponent(id)}`);
		if (res.ok) {
			last = (await res.json()) as V;
			if (last.status === 'running' && last.ip) return last;
			if (last.status === 'error') {
				if (opts.acceptError) return last;
				throw new Error(`environment ${id} failed: ${last.error ?? '(no error recorded)'}`);
			}
		} else {
			last = null;
			await res.body?.cancel();
		}
		if (Date.now() > deadline) throw new Error(`environment ${id} never became ready; last seen ${last ? `${last.status}: ${last.error ?? ''}` : `HTTP ${res.status}`}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

/** Start creating an environment (`{config, hostname}` provisions from a config); answers its id. */
export async function startEnvironment(api: Api, body: Record<string, unknown>): Promise<string> {
	const res = await api('POST', 'config' in body ? '/api/environments/provision' : '/api/environments', body);
	const text = await res.text();
	if (res.status !== 202) throw new Error(`creating an environment answered ${res.status}: ${text.slice(0, 400)}`);
	return (JSON.parse(text) as { id: string }).id;
}

/** Create (or provision) an environment and wait until it runs with an address. */
export async function createEnvironment<V extends EnvironmentView = EnvironmentView>(api: Api, body: Record<string, unknown>, opts: WaitOptions = {}): Promise<V> {
	return waitForEnvironment<V>(api, await startEnvironment(api, body), opts);
}
