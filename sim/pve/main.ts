// CLI entry of the Proxmox VE API simulator:
//   npx tsx sim/pve/main.ts --port 8006 --state DIR [--nodes pve,pve2] [--ssh-port N]
//                           [--auth-delay-ms N] [--control-port N] [--host 127.0.0.1] [--templates DIR]
//                           [--net-range 10.213.0.0/16] [--gateway-ports 3101,3142]
// Prints one `pve-sim listening on ...` line when ready; SIGTERM/SIGINT stop every sshd and exit 0.
import { parseArgs } from 'node:util';
import { checkRange, parsePorts } from './network';
import { detectPrivileges } from './privileges';
import { startSimulator } from './server';

function intArg(name: string, v: string | undefined): number | undefined {
	if (v === undefined) return undefined;
	if (!/^\d+$/.test(v) || Number(v) > 65535 * 1000) {
		console.error(`pve-sim: --${name} must be a non-negative integer, got '${v}'`);
		process.exit(2);
	}
	return Number(v);
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			port: { type: 'string', default: '8006' },
			state: { type: 'string' },
			nodes: { type: 'string', default: 'pve' },
			'ssh-port': { type: 'string' },
			'auth-delay-ms': { type: 'string' },
			'control-port': { type: 'string' },
			host: { type: 'string', default: '127.0.0.1' },
			templates: { type: 'string' },
			'net-range': { type: 'string' },
			'gateway-ports': { type: 'string', default: '' },
			help: { type: 'boolean', default: false }
		},
		strict: true
	});
	if (values.help || !values.state) {
		console.error(
			'usage: sim/pve/main.ts --state DIR [--port 8006] [--nodes pve,pve2] [--ssh-port N] [--auth-delay-ms 3000] [--control-port N] [--host 127.0.0.1] [--templates DIR] [--net-range 10.213.0.0/16] [--gateway-ports P,P]'
		);
		process.exit(values.help ? 0 : 2);
	}
	const nodes = String(values.nodes)
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
	const bad = nodes.find((n) => !/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(n));
	if (bad !== undefined || new Set(nodes).size !== nodes.length) {
		console.error(`pve-sim: --nodes must be distinct node names, got '${values.nodes}'`);
		process.exit(2);
	}
	const rangeError = values['net-range'] === undefined ? null : checkRange(values['net-range']);
	if (rangeError) {
		console.error(`pve-sim: ${rangeError}`);
		process.exit(2);
	}
	let gatewayPorts: number[];
	try {
		gatewayPorts = parsePorts(values['gateway-ports'], '--gateway-ports');
	} catch (err) {
		console.error(`pve-sim: ${err instanceof Error ? err.message : String(err)}`);
		process.exit(2);
	}
	const privileges = detectPrivileges();
	if ('error' in privileges) {
		console.error(privileges.error);
		process.exit(1);
	}
	if (privileges.userns) {
		// Known limit, stated up front rather than discovered as a failed login.
		console.error(
			[
				'pve-sim: running without root in a user namespace that maps only your own uid.',
				'  The API, tasks and CT sshd processes work, but SSH logins into CTs fail: sshd calls setgroups(),',
				'  which needs a full uid/gid map (newuidmap/newgidmap from the uidmap package plus /etc/subuid and',
				'  /etc/subgid ranges for your user). Run the simulator as root for working logins.'
			].join('\n')
		);
	}
	const sim = await startSimulator({
		stateDir: values.state,
		port: intArg('port', values.port),
		host: values.host,
		nodes,
		sshPort: intArg('ssh-port', values['ssh-port']),
		authDelayMs: intArg('auth-delay-ms', values['auth-delay-ms']),
		controlPort: intArg('control-port', values['control-port']),
		netRange: values['net-range'],
		gatewayPorts,
		templatesDir: values.templates,
		privileges
	});
	let stopping = false;
	const shutdown = (signal: string) => {
		if (stopping) return;
		stopping = true;
		const hard = setTimeout(() => {
			console.error(`pve-sim: ${signal}: cleanup took too long, exiting`);
			process.exit(0);
		}, 2800);
		hard.unref();
		sim.stop().then(
			() => process.exit(0),
			(err: unknown) => {
				console.error(`pve-sim: error while stopping: ${String(err)}`);
				process.exit(0);
			}
		);
	};
	process.on('SIGTERM', () => shutdown('SIGTERM'));
	process.on('SIGINT', () => shutdown('SIGINT'));
	console.log(`pve-sim listening on ${sim.url} (state ${sim.simJson.stateDir})`);
}

main().catch((err: unknown) => {
	console.error(`pve-sim: ${err instanceof Error ? err.message : String(err)}`);
	process.exit(1);
});
