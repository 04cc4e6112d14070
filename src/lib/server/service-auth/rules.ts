// Pure rules of the service handshake: which requests to a service host may use its credential (fetch
// metadata and Origin), which are top-level page loads that may start a handshake, and which return
// targets are safe. No I/O; the routes and forward_auth call these and nothing else decides.

export interface RequestMeta {
	method: string;
	/** Sec-Fetch-Site, Sec-Fetch-Mode, Origin as the browser sent them (null when absent). */
	secFetchSite: string | null;
	secFetchMode: string | null;
	origin: string | null;
	accept: string | null;
}

/**
 * A credential counts only for requests the service's own origin makes (or the person typed): when the
 * browser says who made it, `Sec-Fetch-Site` must be `same-origin` or `none`, and an `Origin` (always on
 * WebSocket upgrades, CORS and POSTs) must be exactly the service's origin. Pages of other environments'
 * services are same-site siblings, so `same-site` is refused too. Browsers without fetch metadata still
 * send Origin on every cross-origin fetch, form POST and WebSocket.
 */
export function madeByServiceOrigin(meta: RequestMeta, serviceOrigin: string): boolean {
	if (meta.secFetchSite !== null && meta.secFetchSite !== 'same-origin' && meta.secFetchSite !== 'none') return false;
	if (meta.origin !== null && meta.origin !== serviceOrigin) return false;
	return true;
}

/**
 * A top-level page load: the only kind of request that is sent through the handshake (a redirect to
 * Spyre). Everything else without a usable credential just gets 401/403.
 */
export function isPageLoad(meta: RequestMeta): boolean {
	if (meta.method !== 'GET' && meta.method !== 'HEAD') return false;
	if (meta.secFetchMode !== null) return meta.secFetchMode === 'navigate';
	return (meta.accept ?? '').includes('text/html');
}

/** Spyre may issue a code at once only for a load the person started or one Spyre's own page made. */
export function mayIssueWithoutAsking(secFetchSite: string | null): boolean {
	return secFetchSite === 'same-origin' || secFetchSite === 'none';
}

/**
 * Where the callback sends the browser on the service host: a path (never another host: no `//`, no
 * backslash, no scheme), not Spyre's reserved prefix, no control characters, bounded.
 */
export function safeTarget(to: string | null | undefined, reservedPrefix: string): string {
	if (!to || to.length > 2048 || !to.startsWith('/') || to.startsWith('//') || to.includes('\\')) return '/';
	if (/[\u0000-\u001f\u007f\s]/.test(to)) return '/';
	const lower = to.toLowerCase();
	if (lower === reservedPrefix || lower.startsWith(`${reservedPrefix}/`) || lower.startsWith(`${reservedPrefix}?`)) return '/';
	return to;
}
