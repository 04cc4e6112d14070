// Reads the files environment.yaml points at (token secret, CA, SSH keys) at start-up, so a wrong path fails
// there, named by its key, instead of at the first Proxmox or SSH call. A problem names the key, the path
// and the errno code, never the file's contents.

import fs from 'node:fs';
import { invalidConfig } from './errors';
import type { RawConfig } from './schema';

/** What the config keeps from the files it names. */
export interface ConfigFiles {
	tokenSecret: string;
	/** PEM text of proxmox.tls.ca_file, when set. */
	ca?: string;
	/** The OpenSSH public key line, trimmed. */
	publicKey: string;
}

function readSecretFile(file: string, key: string, problems: string[]): string {
	try {
		const value = fs.readFileSync(file, 'utf8').trim();
		if (!value) problems.push(`${key}: file ${file} is empty`);
		return value;
	} catch (err) {
		const code = (err as NodeJS.ErrnoException).code ?? 'error';
		problems.push(`${key}: cannot read ${file} (${code})`);
		return '';
	}
}

function checkReadable(file: string, key: string, problems: string[]): string {
	try {
		return fs.readFileSync(file, 'utf8');
	} catch (err) {
		const code = (err as NodeJS.ErrnoException).code ?? 'error';
		problems.push(`${key}: cannot read ${file} (${code})`);
		return '';
	}
}

/** Reads every referenced file; throws one ConfigError listing all that are missing, unreadable or wrong. */
export function readConfigFiles(cfg: RawConfig, configPath: string): ConfigFiles {
	const problems: string[] = [];
	const tokenSecret = cfg.proxmox.token_secret ?? readSecretFile(cfg.proxmox.token_secret_file!, 'proxmox.token_secret_file', problems);
	const ca = cfg.proxmox.tls.ca_file ? checkReadable(cfg.proxmox.tls.ca_file, 'proxmox.tls.ca_file', problems) : undefined;
	checkReadable(cfg.ssh.private_key_path, 'ssh.private_key_path', problems);
	const publicKey = checkReadable(cfg.ssh.public_key_path, 'ssh.public_key_path', problems).trim();
	if (publicKey && !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(publicKey)) {
		problems.push(`ssh.public_key_path: ${cfg.ssh.public_key_path} does not hold an OpenSSH public key`);
	}
	if (cfg.proxmox_host_ssh) {
		checkReadable(cfg.proxmox_host_ssh.private_key_path, 'proxmox_host_ssh.private_key_path', problems);
	}
	if (problems.length > 0) {
		throw invalidConfig(configPath, problems);
	}
	return { tokenSecret, ca, publicKey };
}
