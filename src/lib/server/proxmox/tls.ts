// Builds the per-client undici dispatcher that decides whom the Proxmox client trusts: a configured CA, a
// pinned SHA-256 certificate fingerprint, or (neither) the system CAs. Must never weaken TLS for the rest of
// the process: no NODE_TLS_REJECT_UNAUTHORIZED, no global agent.
//
// Why pinning is a connector wrapper and not `checkServerIdentity`: with `rejectUnauthorized: false` Node calls
// `checkServerIdentity` only when the chain already verified, so for the self-signed certificate PVE ships
// with, the hook would never run and any certificate would pass. The wrapper instead compares the peer
// certificate's SHA-256 after every handshake, before undici writes a single byte of the request (so the token
// never reaches an impostor). Session resumption is off so every connection presents its certificate.

import { createHash } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import { Agent, buildConnector } from 'undici';

export interface ProxmoxTlsOptions {
	/** PEM text of the CA (or the self-signed certificate) to trust instead of the system CAs. */
	ca?: string;
	/** SHA-256 of the server certificate, uppercase colon-separated (other spellings are normalised). */
	fingerprint?: string;
}

export class TlsPinError extends Error {
	readonly code = 'ERR_PROXMOX_TLS_PIN';
	readonly expected: string;
	readonly received: string;
	constructor(expected: string, received: string) {
		super(`certificate fingerprint mismatch: expected ${expected}, received ${received}`);
		this.name = 'TlsPinError';
		this.expected = expected;
		this.received = received;
	}
}

/** `aa:bb..`, `AABB..` or `sha256 Fingerprint=AA:BB..` -> `AA:BB:..`. Throws on anything that is not 32 bytes. */
export function normaliseFingerprint(input: string): string {
	const hex = input.replace(/^.*=/, '').replace(/[\s:]/g, '').toUpperCase();
	if (!/^[0-9A-F]{64}$/.test(hex)) {
		throw new Error('TLS fingerprint must be a SHA-256 fingerprint: 32 hex pairs separated by colons');
	}
	return hex.match(/../g)!.join(':');
}

/** SHA-256 of a DER certificate in the uppercase colon form Proxmox shows. */
export function certFingerprint256(der: Buffer): string {
	return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

export interface DispatcherOptions {
	connectTimeoutMs?: number;
}

export function createDispatcher(tls: ProxmoxTlsOptions = {}, opts: DispatcherOptions = {}): Agent {
	const timeout = opts.connectTimeoutMs ?? 10_000;
	const agentOpts = { keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 };
	if (!tls.fingerprint) {
		// A CA replaces the system store for this client only; without one, normal system CA verification.
		return new Agent({ ...agentOpts, connect: { timeout, ...(tls.ca ? { ca: tls.ca } : {}) } });
	}
	const expected = normaliseFingerprint(tls.fingerprint);
	const base = buildConnector({
		timeout,
		maxCachedSessions: 0,
		// With a CA as well, the chain must verify AND the pin must match; with a pin alone the pin is the check.
		...(tls.ca ? { ca: tls.ca, rejectUnauthorized: true } : { rejectUnauthorized: false })
	});
	const connect: buildConnector.connector = (options, callback) => {
		base(options, (err, socket) => {
			if (err || !socket) {
				callback(err ?? new Error('TLS connect failed'), null);
				return;
			}
			let received = '(no certificate)';
			if (socket instanceof TLSSocket) {
				const cert = socket.getPeerCertificate(false);
				if (cert && Buffer.isBuffer(cert.raw) && cert.raw.length > 0) received = certFingerprint256(cert.raw);
			} else {
				received = '(not a TLS connection)';
			}
			if (received !== expected) {
				socket.destroy();
				callback(new TlsPinError(expected, received), null);
				return;
			}
			callback(null, socket);
		});
	};
	return new Agent({ ...agentOpts, connect });
}
