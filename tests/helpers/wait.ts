// The one polling wait of the tests: call `fn` until `ok` accepts its value or the time is up. A throw
// counts as "not yet" (a server still starting, a file not written yet); the timeout names the last value
// or error, so a failure says what was seen instead of only that time ran out.
// Must not import vitest or Playwright: both runners use it.

export async function waitFor<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 60_000, everyMs = 250): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		let last: string;
		try {
			const v = await fn();
			if (ok(v)) return v;
			last = String(JSON.stringify(v) ?? v);
		} catch (err) {
			last = `error: ${(err as Error).message}`;
		}
		if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms; last ${last.slice(0, 400)}`);
		await new Promise((r) => setTimeout(r, everyMs));
	}
}
