// The credential broker's configuration as an owner meets it: without `claude.broker` Spyre starts, says at
// start-up what to set, and the Claude settings page shows the same reason; with it, the broker listens on
// its own port (not Spyre's), and answers only the Messages API.
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';

let spyre: RunningSpyre | undefined;

afterEach(async () => {
	await spyre?.stop();
	spyre = undefined;
});

async function waitForOutput(s: RunningSpyre, text: string, ms = 15_000): Promise<string> {
	const end = Date.now() + ms;
	for (;;) {
		const out = s.output().stdout + s.output().stderr;
		if (out.includes(text)) return out;
		if (Date.now() > end) throw new Error(`"${text}" never appeared in the output:\n${out}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

describe('claude.broker', () => {
	it('missing: a clear start-up line, and the settings page names the key', async () => {
		spyre = await startSpyre({ mode: 'built', env: { SPYRE_POLL_MS: '0', SPYRE_CLAUDE_HEALTH_MS: '0' }, config: { claude: { broker: null } } });
		await waitForOutput(spyre, 'Claude tasks need the credential broker: set claude.broker.listen');
		const cookie = await setupAdmin(spyre.url, 'admin', 'broker-config-1');
		const page = await (await fetch(`${spyre.url}/settings/claude`, { headers: { cookie } })).text();
		expect(page).toContain('set claude.broker.listen');
	});

	it('set: its own listener, refusing everything but the Messages API', async () => {
		const port = await freePort();
		spyre = await startSpyre({ mode: 'built', env: { SPYRE_POLL_MS: '0', SPYRE_CLAUDE_HEALTH_MS: '0' }, config: { claude: { broker: { listen: `127.0.0.1:${port}` } } } });
		await waitForOutput(spyre, `environments use http://127.0.0.1:${port}`);
		expect(port).not.toBe(spyre.port);
		const page = await fetch(`http://127.0.0.1:${port}/`);
		expect(page.status).toBe(404);
		expect(await page.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
		const noToken = await fetch(`http://127.0.0.1:${port}/v1/messages`, { method: 'POST', body: '{}' });
		expect(noToken.status).toBe(401);
		expect(noToken.headers.get('x-spyre-broker')).toBe('1');
		// The broker is not on Spyre's own port (there it is the app: a redirect to sign in).
		const app = await fetch(`${spyre.url}/v1/messages`, { method: 'POST', headers: { origin: spyre.url }, body: '{}', redirect: 'manual' });
		expect(app.headers.get('x-spyre-broker')).toBeNull();
		expect(app.status).not.toBe(401);
	});
});
