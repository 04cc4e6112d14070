// provision.npm_registry (issue 18 item 3, npm): the packages step points npm in the CT at the configured
// registry, and npm there really installs through the demo's package proxy (sim/apt-proxy, the real one,
// on the simulator's gateway, the CT's only way out). The proxy's upstream is a stand-in registry on this
// machine's loopback that answers like registry.npmjs.org for one made-up package (its tarball URLs name
// https://registry.npmjs.org, so the proxy's rewrite is on the path): no request leaves the machine.
// npm in the CT: the CT's own when its root has one, else this machine's node and npm copied into the CT's
// /usr/local (a CT from a real template has neither; tests cannot download Debian's nodejs and npm), and
// then a retry of the packages step finds that npm and writes the registry into the global config it names.
// Spyre's modules run in this process.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAptProxy, type AptProxy } from '../../sim/apt-proxy/proxy';
import { command } from '../../src/lib/server/shell';
import { setGatewayPorts, simNetwork, ssh as sshCmd, sshArgs, startSim, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
const PKG = 'spyre-tiny';
const TOKEN = 'spyre-tiny says hello';
const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };

let sim: RunningSim;
let data: TestDataDir;
let registry: http.Server;
let proxy: AptProxy;
let tarball: Buffer;
/** Every request the stand-in registry got (from the proxy): path, and whether it asked for the abbreviated document. */
const upstreamHits: string[] = [];
let provisioner: typeof import('../../src/lib/server/provisioner');
let environments: typeof import('../../src/lib/server/environments');
let jobs: typeof import('../../src/lib/server/jobs');
let envId = '';
let registryUrl = '';

/** A package tarball as npm publishes it: package/package.json and package/index.js, gzipped tar. */
function buildTarball(): Buffer {
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-npm-pkg-'));
	try {
		fs.mkdirSync(path.join(work, 'package'));
		fs.writeFileSync(path.join(work, 'package', 'package.json'), JSON.stringify({ name: PKG, version: '1.0.0', main: 'index.js' }));
		fs.writeFileSync(path.join(work, 'package', 'index.js'), `module.exports = ${JSON.stringify(TOKEN)};\n`);
		execFileSync('tar', ['-czf', path.join(work, 'pkg.tgz'), '-C', work, 'package']);
		return fs.readFileSync(path.join(work, 'pkg.tgz'));
	} finally {
		fs.rmSync(work, { recursive: true, force: true });
	}
}

/** registry.npmjs.org's answers for PKG, and 404 for everything else. */
function startRegistry(): Promise<http.Server> {
	const version = {
		name: PKG,
		version: '1.0.0',
		main: 'index.js',
		dist: {
			tarball: `https://registry.npmjs.org/${PKG}/-/${PKG}-1.0.0.tgz`,
			shasum: createHash('sha1').update(tarball).digest('hex'),
			integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`
		}
	};
	const server = http.createServer((req, res) => {
		const abbreviated = String(req.headers.accept ?? '').includes('application/vnd.npm.install-v1+json');
		upstreamHits.push(`${req.url}${abbreviated ? ' (abbreviated)' : ''}`);
		if (req.method === 'GET' && req.url === `/${PKG}`) {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ name: PKG, 'dist-tags': { latest: '1.0.0' }, versions: { '1.0.0': version }, modified: '2026-01-01T00:00:00.000Z' }));
		} else if (req.method === 'GET' && req.url === `/${PKG}/-/${PKG}-1.0.0.tgz`) {
			res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': tarball.length });
			res.end(tarball);
		} else {
			res.writeHead(404, { 'content-type': 'application/json' });
			res.end('{"error":"Not found"}');
		}
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function ip(): string {
	return environments.getEnvironment(envId)!.ip!;
}

function inCt(cmd: string, timeoutMs = 60_000) {
	return sshCmd(data.privateKey, ip(), sim.simJson.sshPort, cmd, timeoutMs);
}

/**
 * Copy what the CT lacks of this machine's node and npm into its /usr/local over one SSH stream (tar);
 * returns what was copied. A CT whose root shows the host's /usr (the simulator before real templates) has both.
 */
async function stageNode(): Promise<string[]> {
	const has = await inCt('command -v node >/dev/null && echo node; command -v npm >/dev/null && echo npm');
	const missing = ['node', 'npm'].filter((t) => !has.stdout.split('\n').includes(t));
	if (missing.length === 0) return missing;
	const npmDir = path.dirname(path.dirname(fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm']).toString().trim())));
	const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-npm-stage-'));
	fs.mkdirSync(path.join(stage, 'bin'));
	fs.mkdirSync(path.join(stage, 'lib', 'node_modules'), { recursive: true });
	fs.symlinkSync(process.execPath, path.join(stage, 'bin', 'node'));
	fs.symlinkSync(npmDir, path.join(stage, 'lib', 'node_modules', 'npm'));
	const parts = [...(missing.includes('node') ? ['bin/node'] : []), ...(missing.includes('npm') ? ['lib/node_modules/npm'] : [])];
	const link = missing.includes('npm') ? ' && ln -sfn ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm' : '';
	await new Promise<void>((resolve, reject) => {
		// -h: the node binary and npm's directory themselves, not the links to them.
		const tar = spawn('tar', ['-C', stage, '-chf', '-', ...parts], { stdio: ['ignore', 'pipe', 'inherit'] });
		const ssh = spawn('ssh', sshArgs(data.privateKey, ip(), sim.simJson.sshPort, [`mkdir -p /usr/local && tar -C /usr/local -xf -${link}`]), {
			stdio: ['pipe', 'ignore', 'pipe']
		});
		tar.stdout.pipe(ssh.stdin);
		let err = '';
		ssh.stderr.on('data', (b: Buffer) => (err += b.toString()));
		ssh.on('exit', (code) => {
			fs.rmSync(stage, { recursive: true, force: true });
			if (code === 0) resolve();
			else reject(new Error(`staging ${missing.join(' and ')} failed (${code}): ${err}`));
		});
	});
	return missing;
}

beforeAll(async () => {
	tarball = buildTarball();
	registry = await startRegistry();
	sim = await startSim();
	data = await makeDataDir({ simJson: sim.simJson });
	// configs.dir is <data_dir>/configs by default.
	const configsDir = path.join(data.dataDir, 'configs');
	fs.mkdirSync(configsDir, { recursive: true });
	const gw = simNetwork(sim.simJson).gateway;
	proxy = await startAptProxy({
		host: gw,
		port: 0,
		cacheDir: path.join(data.dataDir, 'proxy-cache'),
		npmUpstream: `http://127.0.0.1:${(registry.address() as AddressInfo).port}`
	});
	await setGatewayPorts(sim.simJson, [proxy.port]);
	registryUrl = `${proxy.url}/`;
	await data.writeConfig({ config: { provision: { npm_registry: proxy.url } } });
	// `bash` is in every template already, so the packages step runs (and points npm at the registry)
	// without downloading anything; the CT's apt sources are blanked because tests have no network.
	fs.writeFileSync(
		path.join(configsDir, 'npm-user.yaml'),
		`apiVersion: spyre/v1
kind: Environment
metadata: { name: npm-user }
spec:
  platform: { template: ${TEMPLATE}, cores: 1, memory: 512, disk: 4 }
  provision:
    packages: [bash]
    files:
      - { path: /etc/apt/sources.list, content: "# no network in tests\\n" }
      - { path: /etc/apt/sources.list.d/debian.sources, content: "# no network in tests\\n" }
`
	);
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	provisioner = await import('../../src/lib/server/provisioner');
	environments = await import('../../src/lib/server/environments');
	jobs = await import('../../src/lib/server/jobs');
	environments.timings.shutdownTimeoutS = 3;
}, 120_000);

afterAll(async () => {
	await environments?.settleAll();
	await (await import('../../src/lib/server/ssh')).closeSshPool();
	(await import('../../src/lib/server/db')).closeDb();
	await proxy?.stop();
	await new Promise<void>((res) => (registry ? registry.close(() => res()) : res()));
	await sim?.stop();
	data?.remove();
});

describe('provision.npm_registry', () => {
	it('the packages step points npm at the registry, in the global config that npm names', async () => {
		const row = await provisioner.provisionEnvironment({ config: 'npm-user', hostname: 'npm-user-1' }, actor);
		envId = row.id;
		await environments.settled(envId);
		expect(jobs.latestRun(envId)!.status, jobs.latestRun(envId)!.error ?? '').toBe('succeeded');
		const started = Date.now();
		const staged = await stageNode();
		if (staged.length > 0) {
			console.log(`staging ${staged.join(' and ')} into the CT took ${Date.now() - started} ms`);
			// npm came after the packages step (as when a script installs it): a retry of the step points it there.
			await provisioner.retryProvision(envId, 'packages', actor);
			await environments.settled(envId);
		}
		const run = jobs.latestRun(envId)!;
		expect(run.status, run.error ?? '').toBe('succeeded');
		expect(run.events.some((e) => e.kind === 'status' && e.message.includes(`npm in this environment uses the registry ${registryUrl}`))).toBe(true);
		const conf = await inCt('npm config get registry && cat "$(npm config get globalconfig)"');
		expect(conf.code, conf.stderr).toBe(0);
		expect(conf.stdout.split('\n')[0]).toBe(registryUrl);
		expect(conf.stdout).toContain(`# Written by Spyre (provision.npm_registry); rewritten at every packages step.\nregistry=${registryUrl}\n`);
	}, 240_000);

	it('npm view and npm install reach the package through the proxy, and only through it', async () => {
		const view = await inCt(command('npm', 'view', '--no-update-notifier', PKG, 'version'));
		expect(view.code, view.stderr).toBe(0);
		expect(view.stdout.trim()).toBe('1.0.0');
		const install = await inCt(
			`mkdir -p /tmp/app && cd /tmp/app && ${command('npm', 'install', '--no-audit', '--no-fund', '--no-update-notifier', PKG)} && ${command('node', '-e', `console.log(require(${JSON.stringify(PKG)}))`)}`,
			120_000
		);
		expect(install.code, install.stderr + install.stdout).toBe(0);
		expect(install.stdout).toContain(TOKEN);
		// The proxy fetched the document and the tarball from upstream, the tarball once (npm may reuse the
		// document it has from `npm view`); npm asked nobody else: the CT reaches only the gateway's exposed port.
		expect(upstreamHits).toEqual(expect.arrayContaining([`/${PKG}`, `/${PKG}/-/${PKG}-1.0.0.tgz`]));
		expect(upstreamHits.filter((h) => h.endsWith('.tgz'))).toHaveLength(1);
	}, 240_000);
});
