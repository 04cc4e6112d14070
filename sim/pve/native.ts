// Builds the simulator's one native helper (native/ctns.c: idmapped mounts, opaque dirs, the CT's PID 1)
// with the system gcc into DIR/bin, once per source version. The binary lives in the state dir so that
// every simulator instance uses the helper that matches its own source.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL('./native/ctns.c', import.meta.url));

/** Path of the compiled helper, building it first when missing or built from another source. */
export async function ensureHelper(stateDir: string): Promise<string> {
	const dir = join(stateDir, 'bin');
	const bin = join(dir, 'pve-sim-ctns');
	const stamp = join(dir, 'pve-sim-ctns.sha256');
	const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex');
	if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) return bin;
	mkdirSync(dir, { recursive: true });
	const tmp = `${bin}.tmp-${process.pid}`;
	try {
		await run('gcc', ['-O2', '-Wall', '-o', tmp, SOURCE]);
	} catch (err) {
		const msg = err instanceof Error && 'stderr' in err ? String((err as { stderr: unknown }).stderr).trim() : String(err);
		throw new Error(`cannot build the CT helper with gcc (Debian: apt-get install gcc libc6-dev): ${msg}`, { cause: err });
	}
	renameSync(tmp, bin);
	writeFileSync(stamp, `${hash}\n`);
	return bin;
}
