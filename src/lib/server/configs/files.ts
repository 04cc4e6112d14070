// The file operations under the configs store: list slug-named YAML files, write atomically, and read a
// file beside the configs without letting a relative path or a symlink lead outside its folder.

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CONFIG_NAME_RE } from '$lib/shared/validation/config-name';
import { SpyreError } from '../errors';
import { formatBytes } from '$lib/shared/format-bytes';
import { relativePathProblem } from './rules';

/** Largest file a config may reference (scripts, file sources). */
export const MAX_ASSET_BYTES = 10 * 1024 * 1024;

export function listDir(dir: string): string[] {
	try {
		return fs
			.readdirSync(dir, { withFileTypes: true })
			.filter((d) => d.isFile() && d.name.endsWith('.yaml') && CONFIG_NAME_RE.test(d.name.slice(0, -5)))
			.map((d) => d.name.slice(0, -5))
			.sort();
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw err;
	}
}

export function writeAtomic(file: string, text: string): void {
	const dir = path.dirname(file);
	fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
	const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
	const fd = fs.openSync(tmp, 'wx', 0o640);
	try {
		fs.writeFileSync(fd, text);
		fs.fsyncSync(fd);
	} finally {
		fs.closeSync(fd);
	}
	try {
		fs.renameSync(tmp, file);
	} catch (err) {
		fs.rmSync(tmp, { force: true });
		throw err;
	}
	const dirFd = fs.openSync(dir, 'r');
	try {
		fs.fsyncSync(dirFd);
	} finally {
		fs.closeSync(dirFd);
	}
}

/** Largest file a config may reference (scripts, file sources). */

/** Read `rel` from the first of `dirs` that has it; its real path must stay inside that folder. */
export function readAsset(dirs: readonly string[], rel: string): Buffer {
	const problem = relativePathProblem(rel);
	if (problem) throw new SpyreError('bad_request', `${rel.slice(0, 100)}: ${problem}.`);
	for (const dir of dirs) {
		let real: string;
		let realDir: string;
		try {
			real = fs.realpathSync(path.join(dir, rel));
			realDir = fs.realpathSync(dir);
		} catch {
			continue;
		}
		if (!real.startsWith(realDir + path.sep)) throw new SpyreError('forbidden', `${rel} points outside the configs folder.`);
		const stat = fs.statSync(real);
		if (!stat.isFile()) continue;
		if (stat.size > MAX_ASSET_BYTES) {
			throw new SpyreError('payload_too_large', `${rel} is ${formatBytes(stat.size)}; the limit is ${formatBytes(MAX_ASSET_BYTES)}.`);
		}
		return fs.readFileSync(real);
	}
	throw new SpyreError('not_found', `There is no file ${rel} beside the configs.`);
}
