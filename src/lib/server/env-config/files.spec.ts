import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFiles, parse, problemsOf, SECRET } from './config.testkit';

const { dir, priv, pub, base, withSet } = configFiles();

describe('parseConfig: token secret', () => {
	it('token_secret and token_secret_file both set is refused', () => {
		const file = path.join(dir, 'secret-both');
		fs.writeFileSync(file, 'from-file\n');
		const err = problemsOf(withSet((c) => (c.proxmox.token_secret_file = file)));
		expect(err.problems).toContain('proxmox.token_secret_file: set either token_secret or token_secret_file, not both');
	});

	it('neither is refused', () => {
		const err = problemsOf(withSet((c) => delete c.proxmox.token_secret));
		expect(err.problems).toContain('proxmox.token_secret: is required (or set proxmox.token_secret_file)');
	});

	it('the file is read and trimmed', () => {
		const file = path.join(dir, 'secret-ok');
		fs.writeFileSync(file, `  ${SECRET}\n\n`);
		const cfg = parse(
			withSet((c) => {
				delete c.proxmox.token_secret;
				c.proxmox.token_secret_file = file;
			})
		);
		expect(cfg.proxmox.tokenSecret).toBe(SECRET);
	});

	it('an unreadable file names the key and the error code', () => {
		const file = path.join(dir, 'secret-missing');
		const err = problemsOf(
			withSet((c) => {
				delete c.proxmox.token_secret;
				c.proxmox.token_secret_file = file;
			})
		);
		expect(err.problems).toEqual([`proxmox.token_secret_file: cannot read ${file} (ENOENT)`]);
	});

	it('a directory instead of a file is unreadable too (EISDIR)', () => {
		const err = problemsOf(
			withSet((c) => {
				delete c.proxmox.token_secret;
				c.proxmox.token_secret_file = dir;
			})
		);
		expect(err.problems).toEqual([`proxmox.token_secret_file: cannot read ${dir} (EISDIR)`]);
	});

	it('an empty (whitespace-only) file is refused', () => {
		const file = path.join(dir, 'secret-empty');
		fs.writeFileSync(file, ' \n\t\n');
		const err = problemsOf(
			withSet((c) => {
				delete c.proxmox.token_secret;
				c.proxmox.token_secret_file = file;
			})
		);
		expect(err.problems).toEqual([`proxmox.token_secret_file: file ${file} is empty`]);
	});

	it('an empty inline secret is refused', () => {
		const err = problemsOf(withSet((c) => (c.proxmox.token_secret = '   ')));
		expect(err.problems).toContain('proxmox.token_secret: must not be empty');
	});

	it('a relative token_secret_file is refused', () => {
		const err = problemsOf(
			withSet((c) => {
				delete c.proxmox.token_secret;
				c.proxmox.token_secret_file = 'secret.txt';
			})
		);
		expect(err.problems).toContain('proxmox.token_secret_file: must be an absolute path');
	});
});

describe('parseConfig: TLS CA file', () => {
	it('a CA file is read into tls.ca', () => {
		const ca = path.join(dir, 'ca-only.pem');
		const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
		fs.writeFileSync(ca, pem);
		const cfg = parse(
			withSet((c) => {
				c.proxmox.tls = { ca_file: ca };
			})
		);
		expect(cfg.proxmox.tls).toEqual({ caFile: ca, ca: pem, fingerprint: undefined });
	});

	it('an unreadable CA file is refused', () => {
		const ca = path.join(dir, 'ca-missing.pem');
		const err = problemsOf(withSet((c) => (c.proxmox.tls = { ca_file: ca })));
		expect(err.problems).toEqual([`proxmox.tls.ca_file: cannot read ${ca} (ENOENT)`]);
	});
});

describe('parseConfig: SSH keys', () => {
	it('an unreadable private key names the key path', () => {
		const missing = path.join(dir, 'no-such-key');
		const err = problemsOf(withSet((c) => (c.ssh.private_key_path = missing)));
		expect(err.problems).toEqual([`ssh.private_key_path: cannot read ${missing} (ENOENT)`]);
	});

	it('an unreadable public key names the key path', () => {
		const missing = path.join(dir, 'no-such-key.pub');
		const err = problemsOf(withSet((c) => (c.ssh.public_key_path = missing)));
		expect(err.problems).toEqual([`ssh.public_key_path: cannot read ${missing} (ENOENT)`]);
	});

	it.each([
		['a PEM private key', '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n'],
		['random text', 'hello world\n'],
		['an unknown key type', 'ssh-foo AAAA spyre\n']
	])('a public key file holding %s is refused', (_name, content) => {
		const file = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.pub`);
		fs.writeFileSync(file, content);
		const err = problemsOf(withSet((c) => (c.ssh.public_key_path = file)));
		expect(err.problems).toEqual([`ssh.public_key_path: ${file} does not hold an OpenSSH public key`]);
	});

	it('the public key is loaded, trimmed', () => {
		expect(parse(base()).ssh.publicKey).toBe(fs.readFileSync(pub, 'utf8').trim());
	});

	it('proxmox_host_ssh: an unreadable key is refused, host is required', () => {
		const missing = path.join(dir, 'host-key-missing');
		let err = problemsOf(withSet((c) => (c.proxmox_host_ssh = { host: 'pve', private_key_path: missing })));
		expect(err.problems).toEqual([`proxmox_host_ssh.private_key_path: cannot read ${missing} (ENOENT)`]);
		err = problemsOf(withSet((c) => (c.proxmox_host_ssh = { private_key_path: priv })));
		expect(err.problems).toEqual(['proxmox_host_ssh.host: is required']);
	});

	it('file problems are all listed together', () => {
		const err = problemsOf(
			withSet((c) => {
				c.ssh.private_key_path = path.join(dir, 'a-missing');
				c.ssh.public_key_path = path.join(dir, 'b-missing');
			})
		);
		expect(err.problems).toHaveLength(2);
	});
});
