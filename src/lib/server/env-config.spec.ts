import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, configPathFromEnv, loadConfig, parseConfig, type SpyreConfig } from './env-config';

const SECRET = 'tok-9f3c1d2e-SUPER-SECRET-VALUE';
const FP = 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99';

let dir: string;
let priv: string;
let pub: string;

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-config-spec-'));
	priv = path.join(dir, 'id_ed25519');
	pub = `${priv}.pub`;
	fs.writeFileSync(priv, '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n');
	fs.writeFileSync(pub, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvWkm0cXk3GQ5Ojz7wQcC0pQ1F0Zl2b5m2s0mJ9v8Xs spyre@test\n');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Raw = Record<string, unknown>;

/** A minimal valid config as a plain object; tests mutate a fresh copy. */
function base(): Raw {
	return {
		server: { public_url: 'http://127.0.0.1:3000', data_dir: dir },
		proxmox: {
			url: 'https://pve.example.com:8006',
			node: 'pve',
			token_id: 'root@pam!spyre',
			token_secret: SECRET,
			tls: { fingerprint: FP }
		},
		ssh: { private_key_path: priv, public_key_path: pub }
	};
}

function parse(raw: unknown): SpyreConfig {
	return parseConfig(typeof raw === 'string' ? raw : stringify(raw), '/etc/spyre/environment.yaml');
}

/** Parse, expect a ConfigError, and return it (so tests can look at message and problems). */
function problemsOf(raw: unknown): ConfigError {
	try {
		parse(raw);
	} catch (err) {
		expect(err).toBeInstanceOf(ConfigError);
		return err as ConfigError;
	}
	throw new Error('expected a ConfigError, but the config was accepted');
}

function withSet(mutate: (c: Raw & { server: Raw; proxmox: Raw & { tls: Raw }; ssh: Raw }) => void): Raw {
	const c = base() as Raw & { server: Raw; proxmox: Raw & { tls: Raw }; ssh: Raw };
	mutate(c);
	return c;
}

describe('loadConfig: reading the file', () => {
	it('a missing file is one line that says to run ./setup.sh', () => {
		const file = path.join(dir, 'nope', 'environment.yaml');
		let err: unknown;
		try {
			loadConfig(file);
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(ConfigError);
		const msg = (err as Error).message;
		expect(msg).toContain('./setup.sh');
		expect(msg).toContain(file);
		expect(msg.split('\n')).toHaveLength(1);
		// server.js recognises config errors by name to print them without a stack.
		expect((err as Error).name).toBe('ConfigError');
	});

	it('an unreadable file (a directory, EISDIR: fails even as root) names the error code', () => {
		const file = path.join(dir, 'is-a-dir.yaml');
		fs.mkdirSync(file, { recursive: true });
		expect(() => loadConfig(file)).toThrowError(ConfigError);
		expect(() => loadConfig(file)).toThrowError(/Cannot read .*is-a-dir\.yaml \(EISDIR\).*\.\/setup\.sh/);
	});

	it('reads and validates a good file and remembers its path', () => {
		const file = path.join(dir, 'good.yaml');
		fs.writeFileSync(file, stringify(base()));
		const cfg = loadConfig(file);
		expect(cfg.configPath).toBe(file);
		expect(cfg.proxmox.node).toBe('pve');
	});

	it('configPathFromEnv: SPYRE_CONFIG (resolved to absolute), else ./environment.yaml', () => {
		expect(configPathFromEnv({ SPYRE_CONFIG: '/x/y.yaml' })).toBe('/x/y.yaml');
		expect(configPathFromEnv({ SPYRE_CONFIG: 'rel/y.yaml' })).toBe(path.resolve('rel/y.yaml'));
		expect(configPathFromEnv({})).toBe(path.join(process.cwd(), 'environment.yaml'));
	});
});

describe('parseConfig: YAML shape', () => {
	it('malformed YAML is a ConfigError naming the file', () => {
		const err = problemsOf('server: [1, 2\nproxmox: {');
		expect(err.message).toMatch(/^\/etc\/spyre\/environment\.yaml is not valid YAML/);
		expect(err.problems.length).toBeGreaterThan(0);
		expect(err.problems.every((p) => p.startsWith('YAML syntax:'))).toBe(true);
	});

	it('duplicate keys are refused', () => {
		const err = problemsOf('server: {}\nserver: {}\n');
		expect(err.message).toMatch(/not valid YAML/);
	});

	it.each([
		['a list', '- a\n- b\n'],
		['a scalar', 'hello\n'],
		['a number', '42\n']
	])('the top level being %s is refused', (_what, text) => {
		const err = problemsOf(text);
		expect(err.message).toMatch(/top level must be a mapping/);
		expect(err.problems).toEqual(['(root): must be a mapping']);
	});

	it('an empty file lists every required section', () => {
		const err = problemsOf('');
		expect(err.problems).toEqual(
			expect.arrayContaining(['server: is required', 'proxmox: is required', 'ssh: is required'])
		);
	});
});

describe('parseConfig: types and required keys, with key paths', () => {
	it.each<[string, (c: Raw & { server: Raw; proxmox: Raw & { tls: Raw }; ssh: Raw }) => void, string]>([
		['http proxmox url', (c) => (c.proxmox.url = 'http://pve:8006'), 'proxmox.url: must be an https URL'],
		['garbage proxmox url', (c) => (c.proxmox.url = 'not a url'), 'proxmox.url: must be an https URL'],
		['port as text', (c) => (c.server.port = 'eighty'), 'server.port: must be a number, got a string'],
		['port out of range', (c) => (c.server.port = 70000), 'server.port:'],
		['fractional port', (c) => (c.server.port = 3000.5), 'server.port:'],
		['public_url not a URL', (c) => (c.server.public_url = 'spyre.local'), 'server.public_url: must be an http or https URL'],
		['relative data_dir', (c) => (c.server.data_dir = 'data'), 'server.data_dir: must be an absolute path'],
		['empty node', (c) => (c.proxmox.node = '  '), 'proxmox.node: must not be empty'],
		['bad token id', (c) => (c.proxmox.token_id = 'root-spyre'), 'proxmox.token_id: must look like user@realm!tokenname'],
		['section as list', (c) => ((c as Raw).ssh = ['a']), 'ssh: must be a mapping, got a list'],
		['null section', (c) => ((c as Raw).proxmox = null), 'proxmox: must be a mapping, got nothing (null)'],
		['relative key path', (c) => (c.ssh.private_key_path = 'id_ed25519'), 'ssh.private_key_path: must be an absolute path'],
		['keepalive as text', (c) => (c.ssh.keepalive_count_max = '5'), 'ssh.keepalive_count_max: must be a number, got a string'],
		['memory too small', (c) => (c.proxmox.defaults = { memory_mb: 8 }), 'proxmox.defaults.memory_mb:'],
		['timeout zero', (c) => (c.proxmox.task_timeout_ms = 0), 'proxmox.task_timeout_ms:'],
		['caddy bad domain', (c) => (c.caddy = { base_domain: 'not a domain!' }), 'caddy.base_domain: must be a DNS name'],
		['caddy bad admin url', (c) => (c.caddy = { admin_url: 'ftp://x' }), 'caddy.admin_url: must be an http or https URL']
	])('%s', (_name, mutate, expected) => {
		const err = problemsOf(withSet(mutate));
		expect(err.problems.some((p) => p.startsWith(expected))).toBe(true);
		expect(err.message).toContain(expected);
		expect(err.message).toMatch(/^\/etc\/spyre\/environment\.yaml has \d+ problems?:\n {2}- /);
	});

	it.each([
		['server', 'public_url'],
		['server', 'data_dir'],
		['proxmox', 'url'],
		['proxmox', 'node'],
		['proxmox', 'token_id'],
		['ssh', 'private_key_path'],
		['ssh', 'public_key_path']
	])('missing %s.%s is "is required"', (section, key) => {
		const err = problemsOf(withSet((c) => delete (c[section] as Raw)[key]));
		expect(err.problems).toContain(`${section}.${key}: is required`);
	});

	it('lists every problem at once, counted', () => {
		const err = problemsOf(
			withSet((c) => {
				c.proxmox.url = 'http://x';
				c.server.port = 'x';
				delete c.proxmox.node;
			})
		);
		expect(err.problems).toHaveLength(3);
		expect(err.message).toContain('has 3 problems:');
	});
});

describe('parseConfig: unknown keys', () => {
	it('warn instead of failing, at any depth, and are dropped from the result', () => {
		const cfg = parse(
			withSet((c) => {
				c.bogus = 1;
				c.proxmox.extra = { deep: true };
				c.proxmox.tls.whatever = 'x';
			})
		);
		expect(cfg.warnings).toEqual(
			expect.arrayContaining([
				'bogus: unknown key (ignored)',
				'proxmox.extra: unknown key (ignored)',
				'proxmox.tls.whatever: unknown key (ignored)'
			])
		);
		expect(cfg.warnings).toHaveLength(3);
		const { warnings: _w, ...rest } = cfg;
		expect(JSON.stringify(rest)).not.toContain('bogus');
		expect(JSON.stringify(rest)).not.toContain('whatever');
		expect(JSON.stringify(rest)).not.toContain('deep');
	});

	it('do not hide real problems', () => {
		const err = problemsOf(
			withSet((c) => {
				c.bogus = 1;
				c.proxmox.url = 'http://x';
			})
		);
		expect(err.problems).toEqual(['proxmox.url: must be an https URL']);
	});

	it('a good config has no warnings', () => {
		expect(parse(base()).warnings).toEqual([]);
	});
});

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

describe('parseConfig: TLS', () => {
	it('ca_file and fingerprint both set is refused', () => {
		const ca = path.join(dir, 'ca.pem');
		fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
		const err = problemsOf(withSet((c) => (c.proxmox.tls.ca_file = ca)));
		expect(err.problems).toContain('proxmox.tls: set either ca_file or fingerprint, not both');
	});

	it.each([
		['too short', 'AA:BB:CC'],
		['not hex', FP.replace('AA', 'ZZ')],
		['no colons', FP.replaceAll(':', '')],
		['SHA-1 length', FP.split(':').slice(0, 20).join(':')]
	])('a bad fingerprint (%s) is refused', (_name, fp) => {
		const err = problemsOf(withSet((c) => (c.proxmox.tls.fingerprint = fp)));
		expect(err.problems).toEqual(['proxmox.tls.fingerprint: must be a SHA-256 fingerprint: 32 hex pairs separated by colons']);
	});

	it('a lower-case fingerprint with spaces around is normalised', () => {
		const cfg = parse(withSet((c) => (c.proxmox.tls.fingerprint = `  ${FP.toLowerCase()} `)));
		expect(cfg.proxmox.tls.fingerprint).toBe(FP);
	});

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

describe('parseConfig: static network', () => {
	const good = { mode: 'static', range_start: '10.0.0.100', range_end: '10.0.0.199', prefix: 24, gateway: '10.0.0.1' };

	it('a complete static network is accepted and camel-cased', () => {
		const cfg = parse(withSet((c) => (c.proxmox.network = { ...good, nameserver: '10.0.0.1' })));
		expect(cfg.proxmox.network).toEqual({
			mode: 'static',
			rangeStart: '10.0.0.100',
			rangeEnd: '10.0.0.199',
			prefix: 24,
			gateway: '10.0.0.1',
			nameserver: '10.0.0.1'
		});
	});

	it('static keys under dhcp are unknown keys: a warning, not an error', () => {
		const cfg = parse(withSet((c) => (c.proxmox.network = { mode: 'dhcp', gateway: '10.0.0.1' })));
		expect(cfg.proxmox.network).toEqual({ mode: 'dhcp' });
		expect(cfg.warnings).toEqual(['proxmox.network.gateway: unknown key (ignored)']);
	});

	it('dhcp is the default', () => {
		expect(parse(base()).proxmox.network).toEqual({ mode: 'dhcp' });
	});

	it.each<[string, Raw, string]>([
		['missing gateway', { ...good, gateway: undefined }, 'proxmox.network.gateway: is required'],
		['bad range start', { ...good, range_start: '10.0.0' }, 'proxmox.network.range_start: must be an IPv4 address'],
		['CIDR where an address is expected', { ...good, gateway: '10.0.0.1/24' }, 'proxmox.network.gateway: must be an IPv4 address'],
		['prefix 33', { ...good, prefix: 33 }, 'proxmox.network.prefix:'],
		['prefix as text', { ...good, prefix: '/24' }, 'proxmox.network.prefix: must be a number, got a string'],
		['unknown mode', { mode: 'bridge' }, 'proxmox.network']
	])('%s is refused', (_name, network, expected) => {
		const cleaned = Object.fromEntries(Object.entries(network).filter(([, v]) => v !== undefined));
		const err = problemsOf(withSet((c) => (c.proxmox.network = cleaned)));
		expect(err.problems.some((p) => p.startsWith(expected))).toBe(true);
	});
});

describe('parseConfig: defaults and derived values', () => {
	it('applies every documented default', () => {
		const cfg = parse(base());
		expect(cfg.server).toEqual({
			host: '127.0.0.1',
			port: 3000,
			publicUrl: 'http://127.0.0.1:3000',
			dataDir: dir,
			secureCookies: false
		});
		expect(cfg.database.path).toBe(path.join(dir, 'spyre.db'));
		expect(cfg.proxmox).toMatchObject({
			url: 'https://pve.example.com:8006',
			storage: 'local-lvm',
			templateStorage: 'local',
			bridge: 'vmbr0',
			network: { mode: 'dhcp' },
			defaults: { cores: 2, memoryMb: 2048, diskGb: 8 },
			requestTimeoutMs: 15_000,
			taskTimeoutMs: 300_000,
			ipTimeoutMs: 120_000
		});
		expect(cfg.ssh).toMatchObject({
			user: 'root',
			port: 22,
			connectTimeoutMs: 10_000,
			keepaliveIntervalMs: 30_000,
			keepaliveCountMax: 5,
			idleCloseMs: 600_000
		});
		expect(cfg.claude).toEqual({ cliPath: 'claude', configDir: path.join(dir, 'claude') });
		expect(cfg.proxmoxHostSsh).toBeUndefined();
		expect(cfg.caddy).toBeUndefined();
	});

	it('partial defaults sections keep the other defaults', () => {
		const cfg = parse(withSet((c) => (c.proxmox.defaults = { cores: 4 })));
		expect(cfg.proxmox.defaults).toEqual({ template: undefined, cores: 4, memoryMb: 2048, diskGb: 8 });
	});

	it('https public URL makes cookies Secure; trailing slashes are stripped', () => {
		const cfg = parse(
			withSet((c) => {
				c.server.public_url = 'https://spyre.example.com/';
				c.proxmox.url = 'https://pve.example.com:8006//';
			})
		);
		expect(cfg.server.secureCookies).toBe(true);
		expect(cfg.server.publicUrl).toBe('https://spyre.example.com');
		expect(cfg.proxmox.url).toBe('https://pve.example.com:8006');
	});

	it('database.path overrides the default', () => {
		const cfg = parse(withSet((c) => (c.database = { path: '/srv/spyre/x.db' })));
		expect(cfg.database.path).toBe('/srv/spyre/x.db');
	});

	it('configs.dir defaults to <data_dir>/configs, may be set, and must be absolute', () => {
		expect(parse(base()).configs.dir).toBe(path.join(dir, 'configs'));
		expect(parse(withSet((c) => (c.configs = { dir: '/srv/team-configs' }))).configs.dir).toBe('/srv/team-configs');
		const err = problemsOf(withSet((c) => (c.configs = { dir: 'relative/configs' })));
		expect(err.problems).toContain('configs.dir: must be an absolute path');
	});

	it('the result is deeply frozen', () => {
		const cfg = parse(
			withSet((c) => {
				c.bogus = 1;
				c.proxmox.network = { mode: 'static', range_start: '10.0.0.2', range_end: '10.0.0.9', prefix: 24, gateway: '10.0.0.1' };
			})
		);
		const objects = [cfg, cfg.server, cfg.database, cfg.proxmox, cfg.proxmox.tls, cfg.proxmox.network, cfg.proxmox.defaults, cfg.ssh, cfg.claude, cfg.warnings];
		for (const o of objects) expect(Object.isFrozen(o)).toBe(true);
		expect(() => {
			(cfg.server as { port: number }).port = 1;
		}).toThrow(TypeError);
		expect(() => {
			(cfg.warnings as string[]).push('x');
		}).toThrow(TypeError);
		expect(cfg.server.port).toBe(3000);
	});
});

describe('secrets never appear in errors', () => {
	const cases: Array<[string, unknown]> = [
		['another key is wrong', withSet((c) => (c.proxmox.url = 'http://x'))],
		['the secret itself has the wrong type', withSet((c) => (c.proxmox.token_secret = { value: SECRET }))],
		['the secret sits in a list', withSet((c) => (c.proxmox.token_secret = [SECRET]))],
		['the secret is an unknown key next to an error', withSet((c) => ((c.proxmox.token_secrets = SECRET), (c.server.port = 'x')))],
		['the YAML around the secret is broken', `proxmox:\n  token_secret: "${SECRET}\n  node: [pve\n`],
		['the YAML line with the secret has a tab error', `proxmox:\n\ttoken_secret: ${SECRET}\n`],
		['the secret is a duplicate key', `proxmox:\n  token_secret: ${SECRET}\n  token_secret: ${SECRET}\n`],
		['both secret and file are set', withSet((c) => (c.proxmox.token_secret_file = '/nonexistent/secret'))]
	];
	it.each(cases)('when %s', (_name, raw) => {
		const err = problemsOf(raw);
		expect(err.message).not.toContain(SECRET);
		expect(err.problems.join('\n')).not.toContain(SECRET);
		expect(String(err.stack)).not.toContain(SECRET);
	});

	it('the token secret file contents never appear when another problem is reported', () => {
		const file = path.join(dir, 'secret-for-leak-test');
		fs.writeFileSync(file, SECRET);
		const err = problemsOf(
			withSet((c) => {
				delete c.proxmox.token_secret;
				c.proxmox.token_secret_file = file;
				c.ssh.private_key_path = path.join(dir, 'missing-key');
			})
		);
		expect(err.message).not.toContain(SECRET);
	});
});

describe('cross-field and network checks', () => {
	const base = `
server: { public_url: "http://x", data_dir: /tmp }
ssh: { private_key_path: /nonexistent/a, public_key_path: /nonexistent/b }
`;
	it('lists cross-field problems together with the others', () => {
		try {
			parseConfig(base + 'proxmox: { url: "http://x", node: pve, token_id: "a@pam!t" }\n', '/x.yaml');
			throw new Error('expected a ConfigError');
		} catch (err) {
			const problems = (err as ConfigError).problems;
			expect(problems).toContain('proxmox.url: must be an https URL');
			expect(problems).toContain('proxmox.token_secret: is required (or set proxmox.token_secret_file)');
		}
	});
	it.each([
		['range_start: 999.1.1.1', /range_start: must be an IPv4 address/],
		['range_start: 10.0.0.20, range_end: 10.0.0.10', /range_end: must not come before range_start/],
		['gateway: 192.168.1.1', /gateway: must be in the same \/24 network/]
	])('static network %s', (patch, re) => {
		const fields = Object.fromEntries(patch.split(', ').map((kv) => kv.split(': ')));
		const net = { mode: 'static', range_start: '10.0.0.10', range_end: '10.0.0.20', prefix: 24, gateway: '10.0.0.1', ...fields };
		const yaml = base + `proxmox: { url: "https://x", node: pve, token_id: "a@pam!t", token_secret: s, network: ${JSON.stringify(net)} }\n`;
		expect(() => parseConfig(yaml, '/x.yaml')).toThrow(re);
	});
});
