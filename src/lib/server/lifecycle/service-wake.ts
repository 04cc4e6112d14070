// What a signed-in request to a service says about its environment, for forward_auth: it is activity; when
// the environment is stopped it is started and the request gets the "starting…" page (a page load) or a
// plain 503; and after such a start the page stays until the service itself answers (a CT runs before the
// server in it listens, and Caddy's bare 502 would end the page's reloading). Returns null to let it through.

import type { AuditActor } from '../audit';
import { getEnvironment } from '../environments/repo';
import { probe } from '../proxy/health';
import { servicesOf } from '../proxy/store';
import { singleton } from '../singleton';
import type { Activity, Clock } from './activity';
import { startingPage } from './starting-page';
import { wake, wakeable } from './wake';

/** How long after a wake a page load still waits for the service to answer. */
const AWAIT_SERVICE_MS = 3 * 60_000;
const PROBE_MS = 1000;

const awaiting = singleton('lifecycle.awaiting-services', () => new Map<string, number>());

export interface ServiceRequest {
	environmentId: string;
	service: string;
	pageLoad: boolean;
	method: string;
}

export async function serviceRequest(req: ServiceRequest, actor: AuditActor, activity: Activity, clock: Clock): Promise<Response | null> {
	activity.touch(req.environmentId, 'service');
	const env = getEnvironment(req.environmentId);
	if (!env) return null;
	const key = `${env.id}/${req.service}`;
	// Only a stopped (or stopping, starting) CT is Spyre's to wake; in any other state (a failed provision
	// whose CT still runs, say) the request goes on to the CT as before.
	if (wakeable(env)) {
		awaiting.set(key, clock.now() + AWAIT_SERVICE_MS);
		void wake(env.id, actor).catch(() => undefined);
		if (!req.pageLoad) return plain(`${env.hostname} is starting; try again in a moment.`);
		return startingPage({ hostname: env.hostname, service: req.service }, req.method);
	}
	if (env.status !== 'running') return null;
	const until = awaiting.get(key);
	if (until === undefined) return null;
	if (until <= clock.now() || !req.pageLoad) {
		if (until <= clock.now()) awaiting.delete(key);
		return null;
	}
	const svc = servicesOf(env.id).find((s) => s.name === req.service);
	if (!svc || !env.ip || (await probe(env.ip, svc.port, svc.protocol, PROBE_MS)) === 'healthy') {
		awaiting.delete(key);
		return null;
	}
	return startingPage({ hostname: env.hostname, service: req.service }, req.method);
}

function plain(message: string): Response {
	return new Response(message, { status: 503, headers: { 'content-type': 'text/plain', 'cache-control': 'no-store', 'retry-after': '2' } });
}
