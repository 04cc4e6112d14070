// The end of the service handshake, on the service host: Caddy routes `/__spyre/*` of every service host
// here (never to the CT) and names the host in a header it sets itself. A good one-time code becomes the
// service's credential in a host-only, HttpOnly `__Host-` cookie for that host; the page then moves on to
// the wanted path with a meta refresh, a new navigation the service's own origin makes (so fetch metadata
// says same-origin there). Audited. The code is never logged; the page sends no Referer.

import * as audit from '$lib/server/audit';
import { getConfig } from '$lib/server/env-config';
import { safeClientAddress } from '$lib/server/http';
import { serviceForHost } from '$lib/server/proxy';
import { RESERVED_PREFIX, SERVICE_HOST_HEADER } from '$lib/server/proxy/routes';
import { redeemCode, safeTarget } from '$lib/server/service-auth';
import { SERVICE_COOKIE } from '$lib/server/auth/session-cookie';
import type { RequestHandler } from './$types';

const HEADERS = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'content-type': 'text/html; charset=utf-8' };

function esc(s: string): string {
	return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(status: number, title: string, body: string, refresh?: string): Response {
	const meta = refresh ? `<meta http-equiv="refresh" content="0; url=${esc(refresh)}">` : '';
	return new Response(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>${meta}</head><body><p>${body}</p></body></html>`, {
		status,
		headers: HEADERS
	});
}

export const GET: RequestHandler = (event) => {
	const { request, url, cookies } = event;
	const svc = serviceForHost(request.headers.get(SERVICE_HOST_HEADER.toLowerCase()));
	const spyre = getConfig().server.publicUrl;
	if (!svc) return page(404, 'No such service', 'No such service.');
	const redeemed = redeemCode(url.searchParams.get('code'), svc.host);
	if (!redeemed) {
		return page(400, 'Link expired', `This sign-in link was used or has expired. <a href="${esc(spyre)}">Open the service again from Spyre</a>.`);
	}
	cookies.set(SERVICE_COOKIE, redeemed.token, { path: '/', httpOnly: true, secure: true, sameSite: 'lax', expires: new Date(redeemed.expiresAt) });
	audit.record(
		{ userId: redeemed.userId, username: redeemed.username, ip: safeClientAddress(event) },
		'service.credential',
		`${svc.environmentId}/${svc.service}`,
		'success',
		`issued a credential for ${svc.host}`
	);
	const to = safeTarget(redeemed.target, RESERVED_PREFIX);
	return page(200, `Opening ${svc.service}`, `Opening <a href="${esc(to)}">${esc(svc.service)} of ${esc(svc.hostname)}</a>…`, to);
};
