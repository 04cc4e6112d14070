// The start of the service handshake, on Spyre's origin (the owner's session is checked by the gate).
// A load the person started (typed URL, bookmark) or one Spyre's own page made gets a one-time code for
// that service host at once; a load another site started is asked to confirm with a POST from this page,
// so no site can open a service in the owner's name by linking here.

import { error, redirect } from '@sveltejs/kit';
import { requireUser } from '$lib/server/http';
import { serviceForHost, type RoutedService } from '$lib/server/proxy-manager';
import { RESERVED_PREFIX } from '$lib/server/proxy/routes';
import { issueCode } from '$lib/server/service-auth/credentials';
import { mayIssueWithoutAsking, safeTarget } from '$lib/server/service-auth/rules';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

function target(url: URL): { svc: RoutedService; to: string } {
	const svc = serviceForHost(url.searchParams.get('host'));
	if (!svc) error(404, 'No such service.');
	return { svc, to: safeTarget(url.searchParams.get('to'), RESERVED_PREFIX) };
}

function sendToCallback(event: Pick<RequestEvent, 'locals'>, svc: RoutedService, to: string): never {
	const user = requireUser(event);
	const sessionHash = event.locals.sessionHash;
	if (!sessionHash) error(401, 'Sign in first.');
	const code = issueCode(svc, { sessionHash, userId: user.id, username: user.username }, to);
	redirect(303, `${svc.origin}${RESERVED_PREFIX}/callback?${new URLSearchParams({ code })}`);
}

export const load: PageServerLoad = (event) => {
	const { svc, to } = target(event.url);
	if (mayIssueWithoutAsking(event.request.headers.get('sec-fetch-site'))) sendToCallback(event, svc, to);
	return { service: svc.service, hostname: svc.hostname, url: `${svc.origin}${to}` };
};

export const actions: Actions = {
	default: (event) => {
		const { svc, to } = target(event.url);
		sendToCallback(event, svc, to);
	}
};
