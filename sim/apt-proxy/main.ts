// CLI of the demo's package proxy (proxy.ts; apt's forward proxy and an npm registry mirror on one port):
//   npx tsx sim/apt-proxy/main.ts --sim DIR/sim.json --port 3142 --cache DIR [--max-cache-mb 2048]
// Listens on the simulator's gateway address (sim.json network.gateway), the only host address its CTs
// can reach; prints `apt-proxy listening on http://GW:PORT` when ready; SIGTERM/SIGINT stop it.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_CACHE_BYTES, startAptProxy } from './proxy';

const { values } = parseArgs({
	options: { sim: { type: 'string' }, port: { type: 'string', default: '3142' }, cache: { type: 'string' }, 'max-cache-mb': { type: 'string', default: String(DEFAULT_MAX_CACHE_BYTES / 1024 ** 2) } },
	strict: true
});
if (!values.sim || !values.cache || !/^\d+$/.test(values.port) || Number(values.port) > 65535 || !/^[1-9]\d*$/.test(values['max-cache-mb'])) {
	console.error('usage: sim/apt-proxy/main.ts --sim SIM_JSON --cache DIR [--port 3142] [--max-cache-mb 2048]');
	process.exit(2);
}
const sim = JSON.parse(readFileSync(values.sim, 'utf8')) as { network?: { gateway: string } };
if (!sim.network) {
	console.error('apt-proxy: this simulator has no bridge (it runs without root), so its CTs cannot reach a proxy');
	process.exit(1);
}
const proxy = await startAptProxy({
	host: sim.network.gateway,
	port: Number(values.port),
	cacheDir: values.cache,
	maxCacheBytes: Number(values['max-cache-mb']) * 1024 ** 2,
	log: (line) => console.log(`apt-proxy: ${line}`)
});
console.log(`apt-proxy listening on ${proxy.url} (cache ${values.cache}, at most ${values['max-cache-mb']} MB; only Debian's archive, and npm packages as registry ${proxy.url}/)`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void proxy.stop().then(() => process.exit(0)));
