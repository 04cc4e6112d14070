// The WebSocket paths Spyre serves, and the one matcher for them: the upgrade router (ws/upgrade.ts, whose
// handler table is keyed by these paths), the Vite dev plugin (vite.config.ts, which must leave every other
// upgrade, its own HMR socket among them, alone) and the tests that walk them all read this list. A path
// ending in `/` is a prefix that an id follows (an environment id or a task id); others match exactly.
// Pure: no imports, so vite.config.ts and the browser's tests can load it.

export const WS_PATHS = ['/api/events', '/api/terminal/', '/api/claude/'] as const;

export type WsPath = (typeof WS_PATHS)[number];

/** The id after a prefix path: one URL segment of the characters Spyre's ids are made of. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface SocketMatch {
	path: WsPath;
	/** The id after a prefix path; null for an exact path. */
	id: string | null;
}

/** Which socket a request path (without its query) names, or null when it names none. */
export function matchSocketPath(pathname: string): SocketMatch | null {
	for (const path of WS_PATHS) {
		if (!path.endsWith('/')) {
			if (pathname === path) return { path, id: null };
		} else if (pathname.startsWith(path) && ID.test(pathname.slice(path.length))) {
			return { path, id: pathname.slice(path.length) };
		}
	}
	return null;
}

/** Whether a request URL (query allowed) is one of Spyre's sockets. */
export function isSpyreSocketPath(url: string | undefined): boolean {
	return matchSocketPath((url ?? '').split('?')[0]) !== null;
}
