// Claude's sign-in state as the browser knows it, shared by the navigation bar's prompt and the
// dashboard: seeded by whichever page load or status request comes first, then kept by `claude.auth`
// events. Browser-only state: nothing is written during server rendering, so one person's page never
// seeds another's (pages render from their own load data until this store knows better).

import { browser } from '$app/environment';
import { liveEvents } from '../live-events.svelte';
import { claudeAuthRoutes } from '$lib/shared/routes';
import type { ClaudeAuthState, ClaudeAuthView } from '$lib/shared/types/claude-auth';

class ClaudeAuthStore {
	/** null until a load, a status request or an event said. */
	state = $state<ClaudeAuthState | null>(null);
	expiresAt = $state<number | null>(null);
	#following = false;
	#loading: Promise<void> | null = null;

	/** Take a page load's view (a fresh load is newer than what events said before it). */
	seed(view: { state: ClaudeAuthState; expiresAt: number | null }): void {
		if (!browser) return;
		this.#follow();
		this.state = view.state;
		this.expiresAt = view.expiresAt;
	}

	/** Ask the server once when no page has said yet (the navigation bar on pages without the state). */
	ensureLoaded(): Promise<void> {
		if (!browser) return Promise.resolve();
		this.#follow();
		this.#loading ??= fetch(claudeAuthRoutes.status())
			.then((r) => (r.ok ? (r.json() as Promise<ClaudeAuthView>) : null))
			.then((v) => {
				if (v && this.state === null) {
					this.state = v.state;
					this.expiresAt = v.expiresAt ?? null;
				}
			})
			// The prompt is a hint: with no answer it stays hidden, and the next event fills it in.
			.catch(() => {});
		return this.#loading;
	}

	#follow(): void {
		if (this.#following) return;
		this.#following = true;
		liveEvents.onType('claude.auth', (d) => {
			this.state = d.state;
			this.expiresAt = d.expiresAt ?? null;
		});
	}
}

export const claudeAuth = new ClaudeAuthStore();
