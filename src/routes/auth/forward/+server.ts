// Caddy's forward_auth for service hosts: 200 only for a request that carries this service host's own
// credential (service-auth/) AND was made by the service's own origin or typed by the person (fetch
// metadata, Origin; WebSocket upgrades included). A page load without that goes through the handshake
// (a redirect to Spyre); anything else gets 401/403. Spyre's own session cookie never reaches this path
// from a service host (it is host-only on Spyre's host), and is not looked at here. A signed-in request to a
// service of an environment that is not running starts it (lifecycle.wake) and gets the "starting…" page.

import { getConfig } from '$lib/server/env-config';
import * as lifecycle from '$lib/server/lifecycle';
import { serviceForHost } from '$lib/server/proxy';
import { SERVICE_HOST_HEADER } from '$lib/server/proxy/routes';
import { checkCredential, isPageLoad, madeByServiceOrigin, type RequestMeta } from '$lib/server/service-auth';
import { SERVICE_COOKIE } from '$lib/server/auth/session-cookie';
import type { RequestHandler } from './$types';

const NO_STORE = { 'cache-control': 'no-store' };

function refuse(status: number, message: string): Response {
	return new Response(message, { status, headers: { ...NO_STORE, 'content-type': 'text/plain' } });
}

export const GET: RequestHandler = async ({ request, cookies }) => {
	const h = request.headers;
	const svc = serviceForHost(h.get(SERVICE_HOST_HEADER.toLowerCase()));
	if (!svc) return refuse(404, 'No such service.');
	const meta: RequestMeta = {
		method: h.get('x-forwarded-method') ?? 'GET',
		secFetchSite: h.get('sec-fetch-site'),
		secFetchMode: h.get('sec-fetch-mode'),
		origin: h.get('origin'),
		accept: h.get('accept')
	};
	const ownOrigin = madeByServiceOrigin(meta, svc.origin);
	const owner = checkCredential(cookies.get(SERVICE_COOKIE), svc);
	if (owner && ownOrigin) {
		// A request to a service is use of its environment; a stopped one is started, and the page says so.
		const instead = await lifecycle.serviceRequest({ environmentId: svc.environmentId, service: svc.service, pageLoad: isPageLoad(meta), method: meta.method }, { username: owner.username });
		return instead ?? new Response(null, { status: 200, headers: { ...NO_STORE, 'x-spyre-user': owner.username } });
	}
	if (isPageLoad(meta)) {
		// Through Spyre, where the owner's session is checked and a one-time code for this host is issued.
		const open = new URL('/auth/service', getConfig().server.publicUrl);
		open.searchParams.set('host', svc.host);
		open.searchParams.set('to', h.get('x-forwarded-uri') ?? '/');
		return new Response(null, { status: 302, headers: { ...NO_STORE, location: open.href } });
	}
	if (owner) return refuse(403, 'Refused: this request was made by another site, not by the service itself.');
	return refuse(401, 'Open this service from Spyre first.');
};
