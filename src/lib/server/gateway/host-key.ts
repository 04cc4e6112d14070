// The gateway's own SSH host key: read from its path, or made there on first start (ed25519, mode 0600,
// written to a temp file and renamed so a crash never leaves half a key). Its fingerprint is what users
// compare the first time they connect (shown in Settings). Never logs or returns the private key.

import fs from 'node:fs';
import path from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { SpyreError } from '../errors';
import { fingerprintOf } from './keys';

export interface HostKey {
	/** OpenSSH private key text, for ssh2's Server. */
	privateKey: Buffer;
	/** SHA256:… as `ssh-keygen -l` and the OpenSSH client print it. */
	fingerprint: string;
	/** "ssh-ed25519 AAAA…", for a known_hosts line. */
	publicKey: string;
}

export function loadOrCreateHostKey(file: string): HostKey {
	if (!fs.existsSync(file)) {
		fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
		const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'spyre-gateway' });
		const tmp = `${file}.${process.pid}.tmp`;
		fs.writeFileSync(tmp, pair.private, { mode: 0o600, flag: 'wx' });
		fs.renameSync(tmp, file);
	}
	const mode = fs.statSync(file).mode & 0o777;
	if (mode & 0o077) throw new SpyreError('config', `ssh.gateway.host_key_path: ${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it.`);
	const privateKey = fs.readFileSync(file);
	const parsed = ssh2.utils.parseKey(privateKey);
	if (parsed instanceof Error || Array.isArray(parsed)) throw new SpyreError('config', `ssh.gateway.host_key_path: ${file} is not an unencrypted OpenSSH private key.`);
	const key = parsed as ParsedKey;
	const blob = key.getPublicSSH();
	return { privateKey, fingerprint: fingerprintOf(blob), publicKey: `${key.type} ${blob.toString('base64')}` };
}
