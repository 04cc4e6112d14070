// The demo's real package proxy (sim/apt-proxy) for tests and benchmarks: on the simulator's gateway with its
// port exposed to CTs, fetching from Debian's real archive, with one cache per machine shared by every run
// (SPYRE_APT_CACHE, default /var/cache/spyre-sim/apt-cache, beside the templates), so only the first run
// on a machine downloads the package indexes and packages; later runs fetch only the index files older than
// the proxy's freshness window (three InRelease files, about 240 kB). Its log lines are kept for assertions.
import { startAptProxy, type AptProxy } from '../../sim/apt-proxy/proxy';
import { setGatewayPorts, simNetwork, type SimJson } from './sim';

export const APT_CACHE_DIR = process.env.SPYRE_APT_CACHE || '/var/cache/spyre-sim/apt-cache';
/** The shared cache's bound: a few configs' packages and two generations of Debian's indexes. */
const MAX_CACHE_BYTES = 2 * 1024 ** 3;

export interface DebianProxy extends AptProxy {
	/** Every line the proxy logged (HIT/MISS/REFUSED/UPSTREAM/ERROR/PRUNED …), oldest first. */
	logged: string[];
}

/** Start the real proxy on `sim`'s gateway and add its port to the ports CTs may reach there. */
export async function startDebianProxy(sim: SimJson, opts: { echo?: boolean } = {}): Promise<DebianProxy> {
	const logged: string[] = [];
	const proxy = await startAptProxy({
		host: simNetwork(sim).gateway,
		port: 0,
		cacheDir: APT_CACHE_DIR,
		maxCacheBytes: MAX_CACHE_BYTES,
		log: (line) => {
			logged.push(line);
			if (opts.echo) console.log(`apt-proxy: ${line}`);
		}
	});
	await setGatewayPorts(sim, [...simNetwork(sim).gatewayPorts, proxy.port]);
	return Object.assign(proxy, { logged });
}
