// The one way Spyre keeps a data-encryption key: 32 random bytes in a 0600 file inside a 0700 directory of
// the data dir, made on first use. Two processes racing to make it end with one key (the file is created
// exclusively; the loser reads the winner's). Never logs or returns the key anywhere but to its caller.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SpyreError } from '../errors';

export const KEY_BYTES = 32;

/** The key in `file`; made when missing and `create` is set, else null when missing. */
export function loadKey(file: string, create: boolean): Buffer | null {
	try {
		const k = fs.readFileSync(file);
		if (k.length !== KEY_BYTES) throw new SpyreError('config', `${file} is not a ${KEY_BYTES}-byte key; what it sealed cannot be opened any more.`);
		return k;
	} catch (err) {
		if (err instanceof SpyreError) throw err;
		if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) return null;
	}
	fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
	fs.chmodSync(path.dirname(file), 0o700);
	const k = crypto.randomBytes(KEY_BYTES);
	try {
		fs.writeFileSync(file, k, { mode: 0o600, flag: 'wx' });
		return k;
	} catch {
		return fs.readFileSync(file);
	}
}
