// The simulator's TLS identity: a self-signed certificate made once with openssl and kept in the state
// dir (cert.pem, key.pem), with SAN IP:127.0.0.1 and DNS:localhost so `curl --cacert` works, and its
// SHA-256 fingerprint in Proxmox's notation (uppercase, colon-separated).
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsIdentity {
	cert: string;
	key: string;
	certPath: string;
	fingerprint: string;
}

export function loadOrCreateTls(dir: string, cn: string): TlsIdentity {
	const certPath = join(dir, 'cert.pem');
	const keyPath = join(dir, 'key.pem');
	if (!existsSync(certPath) || !existsSync(keyPath)) {
		execFileSync(
			'openssl',
			[
				'req',
				'-x509',
				'-newkey',
				'ec',
				'-pkeyopt',
				'ec_paramgen_curve:prime256v1',
				'-nodes',
				'-keyout',
				keyPath,
				'-out',
				certPath,
				'-days',
				'3650',
				'-subj',
				`/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=${cn}`,
				'-addext',
				'subjectAltName=IP:127.0.0.1,DNS:localhost',
				'-addext',
				'basicConstraints=critical,CA:TRUE'
			],
			{ stdio: ['ignore', 'ignore', 'pipe'] }
		);
	}
	const cert = readFileSync(certPath, 'utf8');
	return { cert, key: readFileSync(keyPath, 'utf8'), certPath, fingerprint: fingerprintOf(cert) };
}

/** SHA-256 of the certificate's DER, `AB:CD:...` as `/nodes` reports `ssl_fingerprint`. */
export function fingerprintOf(pem: string): string {
	return new X509Certificate(pem).fingerprint256.toUpperCase();
}
