#!/usr/bin/env node
// Writes a demo environment.yaml pointing at a running Proxmox simulator (from its sim.json).
// Usage: node scripts/write-demo-config.js SIM_JSON OUT_YAML DATA_DIR PORT [HOST] [APT_PROXY_URL]
// PORT is the one people open, Caddy's (setup.sh starts it); Spyre listens behind it on SPYRE_APP_PORT and
// adds service routes over Caddy's admin API on CADDY_ADMIN_PORT (environment variables, defaults below).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const [simJsonPath, outPath, dataDir, port, host = '127.0.0.1', aptProxy = ''] = process.argv.slice(2);
if (!simJsonPath || !outPath || !dataDir || !port) {
	console.error('usage: write-demo-config.js SIM_JSON OUT_YAML DATA_DIR PORT [HOST] [APT_PROXY_URL]');
	process.exit(2);
}
const sim = JSON.parse(fs.readFileSync(simJsonPath, 'utf8'));

/** The newest debian-12-standard archive in the simulator's templates dir (as its storage lists it). */
function standardTemplate() {
	const dir = path.join(process.env.SPYRE_SIM_TEMPLATES || '/var/cache/spyre-sim/templates', 'cache');
	const files = fs.existsSync(dir)
		? fs
				.readdirSync(dir)
				.filter((f) => /^debian-12-standard_.*\.tar\.zst$/.test(f))
				.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
		: [];
	if (files.length === 0) throw new Error(`no debian-12-standard template in ${dir}: run scripts/build-templates.sh`);
	return `local:vztmpl/${files.at(-1)}`;
}
const standIn = fileURLToPath(new URL('../tests/fixtures/claude-login-standin.mjs', import.meta.url));
const secretFile = path.join(dataDir, 'proxmox-token');
fs.writeFileSync(secretFile, sim.tokenSecret + '\n', { mode: 0o600 });
const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
const appPort = Number(process.env.SPYRE_APP_PORT) || 3001;
const caddyAdminPort = Number(process.env.CADDY_ADMIN_PORT) || 2999;
const config = {
	server: { host, port: appPort, public_url: `http://${shownHost}:${port}`, data_dir: dataDir },
	database: { path: path.join(dataDir, 'spyre.db') },
	proxmox: {
		url: sim.url,
		node: sim.node,
		token_id: sim.tokenId,
		token_secret_file: secretFile,
		tls: { fingerprint: sim.fingerprint },
		storage: 'local-lvm',
		template_storage: 'local',
		bridge: 'vmbr0',
		// Environments' addresses must lie in this network (the simulator's CT bridge, from sim.json).
		network: { mode: 'dhcp', cidr: sim.network?.cidr ?? '10.213.0.0/16' },
		// The simulator's own Debian 12 standard template (scripts/build-templates.sh names it after Debian's
		// point release); a config that names a template the node lacks gets the node's list in the provision form.
		defaults: { template: standardTemplate(), cores: 1, memory_mb: 512, disk_gb: 4 },
		ip_timeout_ms: 30000
	},
	ssh: {
		private_key_path: path.join(dataDir, 'ssh', 'id_ed25519'),
		public_key_path: path.join(dataDir, 'ssh', 'id_ed25519.pub'),
		user: 'root',
		port: sim.sshPort
	},
	proxmox_host_ssh: sim.host ? { host: sim.host.address, port: sim.host.port, user: sim.host.user ?? 'root', private_key_path: sim.host.privateKeyPath } : undefined,
	// Sign-in is tried against the login stand-in (Anthropic's OAuth cannot be faked for the real CLI; the
	// page shows its version line, "Spyre demo stand-in"). SPYRE_DEMO_CLAUDE_CLI=claude uses the real one.
	claude: {
		cli_path: process.env.SPYRE_DEMO_CLAUDE_CLI || standIn,
		config_dir: path.join(dataDir, 'claude'),
		// The credential broker on the simulator's bridge gateway (the only host address CTs reach; setup.sh
		// exposes BROKER_PORT there), else on loopback for a simulator without a bridge.
		broker: { listen: `${sim.network?.gateway ?? '127.0.0.1'}:${Number(process.env.BROKER_PORT) || 3101}` }
	}
};
if (!config.proxmox_host_ssh) delete config.proxmox_host_ssh;
// Services at <service>--<hostname>.localhost:PORT through the demo's Caddy: a host of their own per
// service, never Spyre's (which is an IP literal, so not even the same site), with no DNS to set up —
// browsers resolve *.localhost to this machine and treat it, like 127.0.0.1, as a secure context, so the
// Secure __Host- cookies of the service handshake work over plain http.
config.caddy = { admin_url: `http://127.0.0.1:${caddyAdminPort}`, base_domain: 'localhost' };
// The demo's package proxy on the simulator's gateway (sim/apt-proxy): the CTs' only way to Debian's archive,
// and, on the same port, their npm registry (a mirror of registry.npmjs.org).
if (aptProxy) config.provision = { apt_proxy: aptProxy, npm_registry: `${aptProxy}/` };
const header = '# Demo configuration written by ./setup.sh demo: Spyre against the bundled Proxmox simulator.\n';
const tmp = outPath + '.tmp';
fs.writeFileSync(tmp, header + stringify(config), { mode: 0o600 });
fs.renameSync(tmp, outPath);
