import { error } from '@sveltejs/kit';
import * as configs from '$lib/server/configs';
import * as environments from '$lib/server/environments';
import { gatewayInfo } from '$lib/server/gateway';
import { loginUserOf } from '$lib/server/gateway/login-user';
import { serviceViews } from '$lib/server/proxy';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params, depends }) => {
	depends('app:environment');
	const row = environments.getEnvironment(params.id);
	if (!row) error(404, `Environment ${params.id} does not exist.`);
	const built = environments.builtFromOf(row.id);
	return {
		environment: await environments.loadEnvironmentView(row),
		hostKey: row.host_key_fingerprint,
		run: environments.latestRun(row.id),
		// The newest provision outlives the start and stop runs after it: its failure stays visible.
		provision: environments.latestRun(row.id, 'provision'),
		runs: environments.listRuns(row.id),
		runsPageSize: environments.LISTED_RUNS,
		// "Built from dev-web v3", and whether that config changed since (or was deleted).
		builtFrom: built ? configs.builtFrom(built.config, built.version, built.sha256) : null,
		services: serviceViews(row.id),
		editor: editorView(row.id, row.hostname)
	};
};

/** "Connect from your editor": where the gateway is and where the login user's home is (or that it is off). */
function editorView(id: string, hostname: string) {
	const gw = gatewayInfo();
	const user = loginUserOf(id);
	const dir = user === 'root' ? '/root' : `/home/${user}`;
	return gw.enabled
		? { enabled: true, fingerprint: gw.fingerprint, target: { hostname, host: gw.host, port: gw.port, dir } }
		: { enabled: false, fingerprint: null, target: { hostname, host: '', port: 0, dir } };
}
