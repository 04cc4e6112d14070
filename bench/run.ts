// `npm run bench [name...]`: runs the benchmarks and prints one JSON report per benchmark, then a summary.
// Targets live here, not in timed tests. Every process a benchmark starts, it stops.
import { benchEnvironmentsPage } from './environments';
import { benchProvision } from './provision';

type Bench = () => Promise<Record<string, unknown>>;

const benches: Record<string, Bench> = {
	attempts: async () => (await import('./attempts')).benchAttempts(),
	claude: async () => (await import('./claude')).benchClaude(),
	clone: async () => (await import('./clone')).benchClone(),
	'ct-create': async () => (await import('./ct-create')).benchCtCreate(),
	'environments-page': benchEnvironmentsPage,
	gateway: async () => (await import('./gateway')).benchGateway(),
	provision: benchProvision
};

async function loadTerminalBenches(): Promise<void> {
	try {
		const mod = (await import('./terminal')) as { benches?: Record<string, Bench> };
		Object.assign(benches, mod.benches ?? {});
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
	}
}

// Ctrl-C or a kill: leave through process.exit, so the helpers' exit hooks stop the simulator and Spyre.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

await loadTerminalBenches();
// Flags (`--config NAME`) belong to the benchmarks; names are the other arguments.
const wanted = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const names = wanted.length > 0 ? wanted : Object.keys(benches);
let failed = false;
for (const name of names) {
	const bench = benches[name];
	if (!bench) {
		console.error(`unknown benchmark ${name}; known: ${Object.keys(benches).join(', ')}`);
		failed = true;
		continue;
	}
	process.stdout.write(`\n== ${name}\n`);
	try {
		const result = await bench();
		console.log(JSON.stringify(result, null, 2));
	} catch (err) {
		failed = true;
		console.error(`${name} failed:`, err instanceof Error ? err.stack : err);
	}
}
process.exit(failed ? 1 : 0);
