// Preloaded into the server by the memory benchmark (NODE_OPTIONS="--expose-gc --import ..."): on SIGUSR2,
// runs a full garbage collection and writes the process's memory figures as JSON to SPYRE_GC_REPORT
// (written to a temp file and renamed, so a reader never sees half of it). Lets the benchmark judge memory
// that is really held, not garbage V8 had not yet collected. Changes nothing else in the server.
import fs from 'node:fs';

const out = process.env.SPYRE_GC_REPORT;
if (out && typeof globalThis.gc === 'function') {
	let n = 0;
	process.on('SIGUSR2', () => {
		// Twice: the first pass can leave objects that only become unreachable once finalizers have run.
		globalThis.gc();
		globalThis.gc();
		const m = process.memoryUsage();
		n++;
		fs.writeFileSync(`${out}.tmp`, JSON.stringify({ n, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers }));
		fs.renameSync(`${out}.tmp`, out);
	});
}
