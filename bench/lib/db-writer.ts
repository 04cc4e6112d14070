// Background database writes for the environments-page benchmark: a worker thread with its own
// better-sqlite3 connection to Spyre's database commits one audit row every `everyMs`, as a busy server
// does (sign-ins, terminal attaches, task output). Every commit moves SQLite's data_version, which
// invalidates Spyre's environments rows cache (environments/rows-cache.ts), so page loads pay the full
// read again. A thread, not the benchmark's own event loop, so the writes do not delay its timings.
import { Worker } from 'node:worker_threads';

const WORKER = `
const { workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const db = new Database(workerData.dbPath);
db.pragma('busy_timeout = 5000');
const insert = db.prepare("INSERT INTO audit_log (ts, action, target, outcome, detail) VALUES (?, 'bench.write', 'bench', 'success', 'background write')");
const count = new Int32Array(workerData.counter);
const stop = new Int32Array(workerData.stop);
const tick = () => {
	if (Atomics.load(stop, 0)) { db.close(); return; }
	insert.run(Date.now());
	Atomics.add(count, 0, 1);
	setTimeout(tick, workerData.everyMs);
};
tick();
`;

export interface BackgroundWriter {
	/** Commits so far. */
	count(): number;
	stop(): Promise<void>;
}

export function startBackgroundWriter(dbPath: string, everyMs: number): BackgroundWriter {
	const counter = new SharedArrayBuffer(4);
	const stopFlag = new SharedArrayBuffer(4);
	const worker = new Worker(WORKER, { eval: true, workerData: { dbPath, everyMs, counter, stop: stopFlag } });
	let failure: Error | null = null;
	worker.on('error', (err) => (failure = err));
	const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
	return {
		count() {
			if (failure) throw new Error(`background writer failed: ${failure.message}`);
			return Atomics.load(new Int32Array(counter), 0);
		},
		async stop() {
			Atomics.store(new Int32Array(stopFlag), 0, 1);
			await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
			await worker.terminate();
		}
	};
}
