// Origin check for WebSocket upgrades. Browsers always send Origin on a WebSocket handshake, so a
// cross-site page cannot open a socket with the user's cookie. Allowed: Spyre's public URL origin, or
// the origin the request itself was addressed to (same-origin, for demo/dev on another port).
// Non-browser clients (scripts) send no Origin and are judged by their session cookie alone.

export function originAllowed(origin: string | undefined, host: string | undefined, publicUrl: string): boolean {
	if (origin === undefined) return true;
	let parsed: URL;
	try {
		parsed = new URL(origin);
	} catch {
		return false;
	}
	if (parsed.origin === new URL(publicUrl).origin) return true;
	return host !== undefined && parsed.host === host && ['http:', 'https:'].includes(parsed.protocol);
}
