import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFiles, FP, parse, problemsOf, type Raw, type RawSections } from './config.testkit';
import type { ConfigError } from './errors';
import { parseConfig } from './parse';

const { dir, base, withSet } = configFiles();

describe('parseConfig: types and required keys, with key paths', () => {
	it.each<[string, (c: RawSections) => void, string]>([
		['http proxmox url', (c) => (c.proxmox.url = 'http://pve:8006'), 'proxmox.url: must be an https URL'],
		['garbage proxmox url', (c) => (c.proxmox.url = 'not a url'), 'proxmox.url: must be an https URL'],
		['port as text', (c) => (c.server.port = 'eighty'), 'server.port: must be a number, got a string'],
		['port out of range', (c) => (c.server.port = 70000), 'server.port:'],
		['fractional port', (c) => (c.server.port = 3000.5), 'server.port:'],
		['public_url not a URL', (c) => (c.server.public_url = 'spyre.local'), 'server.public_url: must be an http or https URL'],
		['relative data_dir', (c) => (c.server.data_dir = 'data'), 'server.data_dir: must be an absolute path'],
		['empty node', (c) => (c.proxmox.node = '  '), 'proxmox.node: must be a Proxmox node name'],
		['node with a dot', (c) => (c.proxmox.node = 'pve.lan'), 'proxmox.node: must be a Proxmox node name'],
		['storage with a space', (c) => (c.proxmox.storage = 'local lvm'), 'proxmox.storage: must be a Proxmox storage id'],
		['bridge over 15 characters', (c) => (c.proxmox.bridge = 'vmbr0123456789ab'), 'proxmox.bridge: must be a bridge name'],
		['bad token id', (c) => (c.proxmox.token_id = 'root-spyre'), 'proxmox.token_id: must look like user@realm!tokenname'],
		['section as list', (c) => ((c as Raw).ssh = ['a']), 'ssh: must be a mapping, got a list'],
		['null section', (c) => ((c as Raw).proxmox = null), 'proxmox: must be a mapping, got nothing (null)'],
		['relative key path', (c) => (c.ssh.private_key_path = 'id_ed25519'), 'ssh.private_key_path: must be an absolute path'],
		['keepalive as text', (c) => (c.ssh.keepalive_count_max = '5'), 'ssh.keepalive_count_max: must be a number, got a string'],
		['memory too small', (c) => (c.proxmox.defaults = { memory_mb: 8 }), 'proxmox.defaults.memory_mb:'],
		['timeout zero', (c) => (c.proxmox.task_timeout_ms = 0), 'proxmox.task_timeout_ms:'],
		['caddy bad domain', (c) => (c.caddy = { base_domain: 'not a domain!' }), 'caddy.base_domain: must be a DNS name'],
		['caddy domain with a trailing dot', (c) => (c.caddy = { base_domain: 'spyre.example.com.' }), 'caddy.base_domain: must be a DNS name'],
		['caddy domain in Unicode', (c) => (c.caddy = { base_domain: 'spyre.bücher.example' }), 'caddy.base_domain: must be a DNS name'],
		['caddy domain that is an address', (c) => (c.caddy = { base_domain: '10.0.0.5' }), 'caddy.base_domain: must be a DNS name'],
		['gateway listen with leading zeros', (c) => (c.ssh.gateway = { listen: '010.0.0.1:2222' }), 'ssh.gateway.listen: must be host:port'],
		['gateway listen on 999.1.1.1', (c) => (c.ssh.gateway = { listen: '999.1.1.1:2222' }), 'ssh.gateway.listen: must be host:port'],
		['gateway listen on a name', (c) => (c.ssh.gateway = { listen: 'spyre.lan:2222' }), 'ssh.gateway.listen: must be host:port'],
		['gateway listen on bad IPv6', (c) => (c.ssh.gateway = { listen: '[:::]:2222' }), 'ssh.gateway.listen: must be host:port'],
		['gateway public host 999.1.1.1', (c) => (c.ssh.gateway = { listen: '0.0.0.0:2222', public_host: '999.1.1.1' }), 'ssh.gateway.public_host: must be a DNS name or an IPv4 address'],
		['gateway public host 010.0.0.1', (c) => (c.ssh.gateway = { listen: '0.0.0.0:2222', public_host: '010.0.0.1' }), 'ssh.gateway.public_host: must be a DNS name or an IPv4 address'],
		['broker listen with leading zeros', (c) => ((c as Raw).claude = { broker: { listen: '10.0.0.02:3101' } }), 'claude.broker.listen: must be host:port'],
		['caddy bad admin url', (c) => (c.caddy = { admin_url: 'ftp://x' }), 'caddy.admin_url: must be an http or https URL'],
		['gateway listen without port', (c) => (c.ssh.gateway = { listen: '0.0.0.0' }), 'ssh.gateway.listen: must be host:port'],
		['gateway relative host key', (c) => (c.ssh.gateway = { listen: '0.0.0.0:2222', host_key_path: 'gw_key' }), 'ssh.gateway.host_key_path: must be an absolute path'],
		['gateway agent forwarding', (c) => (c.ssh.gateway = { listen: '0.0.0.0:2222', agent_forwarding: true }), 'ssh.gateway.agent_forwarding: cannot be true yet'],
		['broker listen without port', (c) => ((c as Raw).claude = { broker: { listen: '10.0.0.2' } }), 'claude.broker.listen: must be host:port'],
		['broker listen port too big', (c) => ((c as Raw).claude = { broker: { listen: '10.0.0.2:70000' } }), 'claude.broker.listen: must have a port from 0 to 65535'],
		['broker wildcard without url', (c) => ((c as Raw).claude = { broker: { listen: '0.0.0.0:3101' } }), 'claude.broker.url: needs url'],
		['broker bad url', (c) => ((c as Raw).claude = { broker: { listen: '10.0.0.2:3101', url: 'ftp://x' } }), 'claude.broker.url: must be an http or https URL'],
		['monthly budget zero', (c) => ((c as Raw).claude = { monthly_budget_usd: 0 }), 'claude.monthly_budget_usd: must be a positive amount'],
		// The session cookie is __Host- (Secure): plain http works on loopback only.
		['plain http on a network name', (c) => (c.server.public_url = 'http://spyre.example.com'), 'server.public_url: must be https://'],
		['plain http on a LAN address', (c) => (c.server.public_url = 'http://192.168.1.5:3000'), 'server.public_url: must be https://'],
		['plain http on a name ending in localhost', (c) => (c.server.public_url = 'http://localhost.evil.example'), 'server.public_url: must be https://']
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
});

describe('parseConfig: static network', () => {
	const good = { mode: 'static', range_start: '10.0.0.100', range_end: '10.0.0.199', prefix: 24, gateway: '10.0.0.1' };

	it('a complete static network is accepted and camel-cased', () => {
		const cfg = parse(withSet((c) => (c.proxmox.network = { ...good, nameserver: '10.0.0.1' })));
		expect(cfg.proxmox.network).toEqual({
			mode: 'static',
			cidr: '10.0.0.0/24',
			rangeStart: '10.0.0.100',
			rangeEnd: '10.0.0.199',
			prefix: 24,
			gateway: '10.0.0.1',
			nameserver: '10.0.0.1'
		});
	});

	it('static keys under dhcp are unknown keys: a warning, not an error', () => {
		const cfg = parse(withSet((c) => (c.proxmox.network = { mode: 'dhcp', cidr: '10.0.0.0/24', gateway: '10.0.0.1' })));
		expect(cfg.proxmox.network).toEqual({ mode: 'dhcp', cidr: '10.0.0.0/24' });
		expect(cfg.warnings).toEqual(['proxmox.network.gateway: unknown key (ignored)']);
	});

	it('the dhcp network is written canonically', () => {
		const cfg = parse(withSet((c) => (c.proxmox.network = { mode: 'dhcp', cidr: '10.213.4.1/16' })));
		expect(cfg.proxmox.network).toEqual({ mode: 'dhcp', cidr: '10.213.0.0/16' });
	});

	it('there is no default network: a missing one is a start-up error naming the key', () => {
		const err = problemsOf(withSet((c) => delete (c.proxmox as Raw).network));
		expect(err.problems).toContainEqual(expect.stringMatching(/^proxmox\.network: is required: mode: dhcp with cidr/));
		const noCidr = problemsOf(withSet((c) => (c.proxmox.network = { mode: 'dhcp' })));
		expect(noCidr.problems).toContainEqual(expect.stringMatching(/^proxmox\.network\.cidr: is required: the IPv4 network DHCP gives environments/));
	});

	it.each([
		['127.0.0.0/8', /loopback, link-local, multicast/],
		['169.254.0.0/16', /loopback, link-local, multicast/],
		['224.0.0.0/4', /\/8 or narrower/],
		['0.0.0.0/0', /\/8 or narrower/],
		['10.0.0.0', /IPv4 network with its prefix/],
		['010.0.0.0/8', /IPv4 network with its prefix/]
	])('dhcp cidr %s is refused', (cidr, re) => {
		const err = problemsOf(withSet((c) => (c.proxmox.network = { mode: 'dhcp', cidr })));
		expect(err.problems).toContainEqual(expect.stringMatching(re));
		expect(err.problems.every((p) => p.startsWith('proxmox.network.cidr:'))).toBe(true);
	});

	it('ssh.gateway is off unless set, and becomes host, port, host key path and public host', () => {
		expect(parse(base()).ssh.gateway).toBeUndefined();
		const cfg = parse(withSet((c) => (c.ssh.gateway = { listen: '0.0.0.0:2222' })));
		expect(cfg.ssh.gateway).toEqual({
			host: '0.0.0.0',
			port: 2222,
			hostKeyPath: path.join(cfg.server.dataDir, 'gateway_host_ed25519'),
			publicHost: new URL(cfg.server.publicUrl).hostname,
			agentForwarding: false
		});
		const custom = parse(withSet((c) => (c.ssh.gateway = { listen: '[::]:22', host_key_path: '/etc/spyre/gw', public_host: 'spyre.lan' })));
		expect(custom.ssh.gateway).toMatchObject({ host: '::', port: 22, hostKeyPath: '/etc/spyre/gw', publicHost: 'spyre.lan' });
		expect(parse(withSet((c) => (c.ssh.gateway = { listen: 'localhost:2222', public_host: '10.0.0.2' }))).ssh.gateway).toMatchObject({ host: 'localhost', publicHost: '10.0.0.2' });
	});

	it.each(['Spyre.Example.COM', 'svc.example.com', 'spyre.localhost', 'xn--bcher-kva.example'])('caddy.base_domain %s is a DNS name (any case)', (domain) => {
		expect(parse(withSet((c) => (c.caddy = { base_domain: domain }))).caddy?.baseDomain).toBe(domain);
	});

	it.each(['http://localhost:3000', 'http://spyre.localhost:3000', 'http://127.0.0.2:3000', 'http://[::1]:3000'])('plain http on loopback %s is allowed', (url) => {
		expect(parse(withSet((c) => (c.server.public_url = url))).server.publicUrl).toBe(url);
	});

	it('claude.broker becomes host, port and url', () => {
		const cfg = parse(withSet((c) => ((c as Raw).claude = { broker: { listen: '10.213.0.1:3101', url: 'http://10.213.0.1:3101/' }, monthly_budget_usd: 50 })));
		expect(cfg.claude.broker).toEqual({ host: '10.213.0.1', port: 3101, url: 'http://10.213.0.1:3101' });
		expect(cfg.claude.monthlyBudgetUsd).toBe(50);
		expect(parse(withSet((c) => ((c as Raw).claude = { broker: { listen: '[::1]:0' } }))).claude.broker).toEqual({ host: '::1', port: 0 });
	});

	it.each<[string, Raw, string]>([
		['missing gateway', { ...good, gateway: undefined }, 'proxmox.network.gateway: is required'],
		['bad range start', { ...good, range_start: '10.0.0' }, 'proxmox.network.range_start: must be an IPv4 address'],
		['CIDR where an address is expected', { ...good, gateway: '10.0.0.1/24' }, 'proxmox.network.gateway: must be an IPv4 address'],
		['prefix 33', { ...good, prefix: 33 }, 'proxmox.network.prefix:'],
		['leading zeros', { ...good, gateway: '10.0.0.01' }, 'proxmox.network.gateway: must be an IPv4 address'],
		['prefix as text', { ...good, prefix: '/24' }, 'proxmox.network.prefix: must be a number, got a string'],
		['unknown mode', { mode: 'bridge' }, 'proxmox.network']
	])('%s is refused', (_name, network, expected) => {
		const cleaned = Object.fromEntries(Object.entries(network).filter(([, v]) => v !== undefined));
		const err = problemsOf(withSet((c) => (c.proxmox.network = cleaned)));
		expect(err.problems.some((p) => p.startsWith(expected))).toBe(true);
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

describe('parseConfig: provision.apt_proxy', () => {
	it('is optional, and an http proxy URL is kept without its trailing slash', () => {
		expect(parse(base()).provision).toEqual({ aptProxy: undefined, npmRegistry: undefined });
		expect(parse({ ...base(), provision: { apt_proxy: 'http://10.213.4.1:3142/' } }).provision).toEqual({ aptProxy: 'http://10.213.4.1:3142' });
		expect(parse({ ...base(), provision: { apt_proxy: 'http://apt-cache.lan:3142' } }).provision.aptProxy).toBe('http://apt-cache.lan:3142');
	});

	it.each([
		'https://10.0.0.1:3142',
		'http://user:secret@10.0.0.1:3142',
		'http://10.0.0.1:3142/debian',
		'http://10.0.0.1:3142/?x=1',
		'http://10.0.0.1:99999',
		'http://10.0.0.1:3142";\nAPT::Update::Pre-Invoke {"touch /tmp/x"',
		'http://$(id):3142',
		'10.0.0.1:3142'
	])('%j is refused with the key named', (url) => {
		const err = problemsOf({ ...base(), provision: { apt_proxy: url } });
		expect(err.problems.some((p) => p.startsWith('provision.apt_proxy: must'))).toBe(true);
	});
});

describe('parseConfig: provision.npm_registry', () => {
	it('is optional, and a registry URL always ends in one slash (npm appends package names to it)', () => {
		expect(parse({ ...base(), provision: { npm_registry: 'http://10.213.4.1:3142' } }).provision.npmRegistry).toBe('http://10.213.4.1:3142/');
		expect(parse({ ...base(), provision: { npm_registry: 'https://nexus.lan/repository/npm' } }).provision.npmRegistry).toBe('https://nexus.lan/repository/npm/');
	});

	it.each([
		'ftp://10.0.0.1/',
		'http://user:secret@10.0.0.1:3142/',
		'http://10.0.0.1:3142/?x=1',
		'http://10.0.0.1:3142/#x',
		'http://10.0.0.1:99999/',
		'http://10.0.0.1/a/../b/',
		'http://10.0.0.1/a b/',
		'http://10.0.0.1/$(id)/',
		'http://10.0.0.1/\nregistry=http://evil/',
		'10.0.0.1:3142'
	])('%j is refused with the key named', (url) => {
		const err = problemsOf({ ...base(), provision: { npm_registry: url } });
		expect(err.problems.some((p) => p.startsWith('provision.npm_registry: must'))).toBe(true);
	});
});

describe('service origins at start-up', () => {
	it('plain http is fine on loopback names and addresses', () => {
		for (const u of ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://spyre.localhost:8080', 'http://[::1]:3000', 'https://spyre.example.com']) {
			expect(parse(withSet((c) => (c.server.public_url = u))).server.publicUrl).toBe(u);
		}
	});
	it('a caddy section without base_domain (the removed path mode) starts with a clear warning', () => {
		const cfg = parse(withSet((c) => (c.caddy = { admin_url: 'http://127.0.0.1:2019' })));
		expect(cfg.warnings.join('\n')).toMatch(/caddy\.base_domain: not set.*[Ss]ervices need caddy\.base_domain with wildcard DNS.*path mode.*removed/);
		expect(parse(withSet((c) => (c.caddy = { base_domain: 'svc.example.com' }))).warnings).toEqual([]);
	});
});
