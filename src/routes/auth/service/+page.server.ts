// The start of the service handshake, on Spyre's origin (the owner's session is checked by the gate).
// A load the person started (typed URL, bookmark) or one Spyre's own page made gets a one-time code for
// that service host at once; a load another site started is asked to confirm with a POST from this page,
// so no site can open a service in the owner's name by linking here. The code goes only to the owner's
// browser, in a redirect or (after the POST) in this page's meta refresh.

import { error, redirect } from '@sveltejs/kit';
import { requireUser } from '$lib/server/http';
import { serviceForHost, type RoutedService } from '$lib/server/proxy';
import { RESERVED_PREFIX } from '$lib/server/proxy/routes';
import { issueCode, mayIssueWithoutAsking, safeTarget } from '$lib/server/service-auth';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

function target(url: URL): { svc: RoutedService; to: string } {
	const svc = serviceForHost(url.searchParams.get('host'));
	if (!svc) error(404, 'No such service.');
	return { svc, to: safeTarget(url.searchParams.get('to'), RESERVED_PREFIX) };
}

/** The callback URL on the service host with a fresh one-time code for the signed-in owner. */
function callbackUrl(event: Pick<RequestEvent, 'locals'>, svc: RoutedService, to: string): string {
	const user = requireUser(event);
	const sessionHash = event.locals.sessionHash;
	if (!sessionHash) error(401, 'Sign in first.');
	const code = issueCode(svc, { sessionHash, userId: user.id, username: user.username }, to);
	return `${svc.origin}${RESERVED_PREFIX}/callback?${new URLSearchParams({ code })}`;
}

export const load: PageServerLoad = (event) => {
	const { svc, to } = target(event.url);
	// GET only: after the POST below this load runs again (same-origin), and must not redirect that form post.
	if (event.request.method === 'GET' && mayIssueWithoutAsking(event.request.headers.get('sec-fetch-site'))) redirect(303, callbackUrl(event, svc, to));
	return { service: svc.service, hostname: svc.hostname, url: `${svc.origin}${to}` };
};

export const actions: Actions = {
	// Not a redirect: Spyre's CSP (form-action 'self') rightly blocks a form post that redirects to another
	// origin, so the page moves on with a meta refresh (a new navigation) instead.
	default: (event) => {
		const { svc, to } = target(event.url);
		return { next: callbackUrl(event, svc, to) };
	}
};
