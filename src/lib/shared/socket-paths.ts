// The WebSocket paths Spyre serves, shared by the upgrade router (ws/upgrade.ts), the Vite dev plugin
// (vite.config.ts, which must leave every other upgrade, its own HMR socket among them, alone) and the
// tests that walk them. A path ending in `/` is a prefix (an id follows); others match exactly.
// Pure: no imports, so vite.config.ts and the browser's tests can load it.

export const WS_PATHS: readonly string[] = ['/api/events', '/api/terminal/', '/api/claude/'];

export function isSpyreSocketPath(url: string | undefined): boolean {
	const pathname = (url ?? '').split('?')[0];
	return WS_PATHS.some((p) => (p.endsWith('/') ? pathname.startsWith(p) && pathname.length > p.length : pathname === p));
}
