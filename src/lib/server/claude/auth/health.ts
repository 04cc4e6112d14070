// The token-free health check of Claude authentication, every 60 s, on the Spyre host: an API key or a
// token is checked with upstream (GET /v1/models, which costs nothing), which sets or clears a rejection;
// a full login asks `claude auth status`. It also notes the CLI's version for the page. The broker reports
// upstream's real 401/403 separately (reportUpstreamRejection); nothing a task writes counts. Starts with the
// server (a background service in background/index.ts) and kills orphaned login CLIs of an earlier run first.

import { getConfig } from '../../env-config';
import { singleton } from '../../singleton';
import { applyHealth, healthInputs, recheckCredential, refreshFromCliFile } from './credential';
import { initAuthState, stopAuth } from './login';
import { parseAuthStatus, redact } from './parse';
import { cliEnv, ownerMarker, runCli } from './process';
import { authSettings } from './settings';
import { credentialState } from './state';

const loop = singleton('claude.auth.health', () => ({ started: false, timer: null as NodeJS.Timeout | null, running: false, version: null as string | null }));

export async function checkHealth(): Promise<void> {
	if (loop.running) return;
	loop.running = true;
	try {
		const cfg = getConfig();
		const env = cliEnv({ configDir: cfg.claude.configDir, marker: ownerMarker(cfg.server.dataDir) });
		if (!loop.version) {
			const v = await runCli(cfg.claude.cliPath, ['--version'], env, 10_000);
			if (v.code === 0) loop.version = redact(v.stdout.trim().split('\n')[0] ?? '').slice(0, 120) || null;
		}
		const { meta, busy } = healthInputs();
		if (!meta || busy) return applyHealth(null, { version: loop.version });
		if (meta.method !== 'login') {
			// An expired token needs no call to say so; otherwise upstream decides.
			if (credentialState(meta.expiresAt, Date.now()) === 'expired') return applyHealth({ state: 'expired', detail: 'The stored token is past its expiry.' }, { version: loop.version });
			return applyHealth(await recheckCredential(), { version: loop.version });
		}
		if (meta.health) return applyHealth({ state: meta.health.state, detail: meta.health.error }, { version: loop.version });
		refreshFromCliFile();
		const r = await runCli(cfg.claude.cliPath, ['auth', 'status'], env, 15_000);
		const status = parseAuthStatus(r.stdout);
		if (!status) return applyHealth(null, { version: loop.version });
		applyHealth(
			status.loggedIn
				? { state: 'authenticated', detail: `claude auth status: logged in (${status.authMethod}).` }
				: { state: 'expired', detail: 'claude auth status: the CLI on the Spyre host is logged out.' },
			{ version: loop.version }
		);
	} finally {
		loop.running = false;
	}
}

/** Once per process: clean up after a crash, then check now and every interval. */
export function startClaudeAuth(): void {
	if (loop.started) return;
	loop.started = true;
	initAuthState();
	const every = authSettings.healthIntervalMs();
	const run = () => void checkHealth().catch((err) => console.error('[spyre] Claude auth health check failed:', redact((err as Error).message)));
	run();
	if (every > 0) {
		loop.timer = setInterval(run, every);
		loop.timer.unref();
	}
}

/** Shutdown: stop checking and cancel a sign-in in progress. */
export function stopClaudeAuth(): Promise<void> {
	if (loop.timer) clearInterval(loop.timer);
	loop.timer = null;
	return stopAuth();
}
