// Files over SFTP: no shell is involved, so a path is never parsed by one (a file named `$(reboot)` is
// just a name). Writes are atomic: the content goes to a temp file beside the target, gets its mode, and
// is renamed over the target (OpenSSH's posix-rename extension, which replaces an existing file), so a
// reader sees the old file or the new one, never half of it.

import crypto from 'node:crypto';
import path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { SpyreError, messageOf } from '../errors';
import type { Entry } from './connection';
import { openChannel, type SlotHost } from './slots';
import type { ReadFileOptions, WriteFileOptions } from './types';

/** Absolute, no NUL (SFTP strings cannot carry it meaningfully), not a directory name. */
export function checkRemotePath(p: string): string {
	if (typeof p !== 'string' || p === '' || p.includes('\0')) throw new SpyreError('validation', 'A remote file path must be a non-empty string without NUL bytes.');
	if (!p.startsWith('/')) throw new SpyreError('validation', `The remote path ${JSON.stringify(p)} must be absolute.`);
	if (p.endsWith('/') || path.posix.basename(p) === '..' || path.posix.basename(p) === '.') {
		throw new SpyreError('validation', `The remote path ${JSON.stringify(p)} names a directory, not a file.`);
	}
	return p;
}

const call = <T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> => new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));

/** Run `work` on a fresh SFTP channel of `entry`, bounded in time; the channel is always closed after. */
async function withSftp<T>(host: SlotHost, entry: Entry, timeoutMs: number, what: string, work: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
	const sftp = await openChannel(
		host,
		entry,
		(cb: (err: Error | undefined, s: SFTPWrapper) => void) => entry.client!.sftp(cb),
		(s) => s
	);
	let timer: NodeJS.Timeout | null = null;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new SpyreError('timeout', `${what} on environment ${entry.envId} timed out after ${timeoutMs} ms.`)), timeoutMs);
	});
	let lost: (err: SpyreError) => void = () => {};
	const lostP = new Promise<never>((_, reject) => entry.lostListeners.add((lost = reject)));
	try {
		return await Promise.race([work(sftp), timeout, lostP]);
	} finally {
		if (timer) clearTimeout(timer);
		entry.lostListeners.delete(lost);
		lostP.catch(() => {});
		timeout.catch(() => {});
		// Wait (briefly) for the channel to close, so its slot is free when the caller goes on.
		const closed = new Promise<void>((resolve) => {
			sftp.once('close', () => resolve());
			setTimeout(resolve, 1000).unref();
		});
		try {
			sftp.end();
		} catch {
			// Already closed.
		}
		await closed;
	}
}

function sftpError(what: string, p: string, err: unknown): SpyreError {
	if (err instanceof SpyreError) return err;
	const code = (err as { code?: number }).code;
	// SFTP status codes: 2 no such file, 3 permission denied.
	const reason = code === 2 ? 'no such file or directory' : code === 3 ? 'permission denied' : messageOf(err);
	return new SpyreError(code === 2 ? 'not_found' : 'ssh', `${what} ${JSON.stringify(p)} failed: ${reason}.`, { cause: err });
}

export async function writeFileOn(host: SlotHost, entry: Entry, target: string, content: string | Buffer, opts: WriteFileOptions): Promise<void> {
	checkRemotePath(target);
	const mode = opts.mode ?? 0o644;
	if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new SpyreError('validation', `File mode ${mode} is not a permission mode (0 to 0o7777).`);
	const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
	const tmp = `${target}.spyre-tmp-${crypto.randomBytes(6).toString('hex')}`;
	await withSftp(host, entry, opts.timeoutMs ?? 60_000, 'Writing', async (sftp) => {
		let written = false;
		try {
			// 'wx': never follow or clobber something already at the temp name.
			const handle = await call<Buffer>((cb) => sftp.open(tmp, 'wx', { mode: 0o600 }, cb));
			try {
				for (let off = 0; off < data.length;) {
					const n = Math.min(32 * 1024, data.length - off);
					await call((cb) => sftp.write(handle, data, off, n, off, cb));
					off += n;
				}
				// Exact mode, whatever the server's umask did to the open.
				await call((cb) => sftp.fchmod(handle, mode, cb));
			} finally {
				await call((cb) => sftp.close(handle, cb)).catch(() => {});
			}
			await call((cb) => sftp.ext_openssh_rename(tmp, target, cb)).catch(async (err: unknown) => {
				// Servers without the extension: plain rename (fails if the target exists, so remove it first).
				if (!/does not support/i.test(messageOf(err))) throw err;
				await call((cb) => sftp.unlink(target, cb)).catch(() => {});
				await call((cb) => sftp.rename(tmp, target, cb));
			});
			written = true;
		} catch (err) {
			throw sftpError('Writing', target, err);
		} finally {
			if (!written) await call((cb) => sftp.unlink(tmp, cb)).catch(() => {});
		}
	});
}

export async function readFileOn(host: SlotHost, entry: Entry, target: string, opts: ReadFileOptions): Promise<Buffer> {
	checkRemotePath(target);
	const max = opts.maxBytes ?? 16 * 1024 * 1024;
	return withSftp(host, entry, opts.timeoutMs ?? 60_000, 'Reading', async (sftp) => {
		try {
			const handle = await call<Buffer>((cb) => sftp.open(target, 'r', cb));
			try {
				const chunks: Buffer[] = [];
				let total = 0;
				for (;;) {
					const buf = Buffer.alloc(32 * 1024);
					const n = await new Promise<number>((resolve, reject) => sftp.read(handle, buf, 0, buf.length, total, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))));
					if (n === 0) break;
					total += n;
					if (total > max) throw new SpyreError('payload_too_large', `The file ${JSON.stringify(target)} is larger than ${max} bytes.`);
					chunks.push(buf.subarray(0, n));
				}
				return Buffer.concat(chunks);
			} finally {
				await call((cb) => sftp.close(handle, cb)).catch(() => {});
			}
		} catch (err) {
			throw sftpError('Reading', target, err);
		}
	});
}
