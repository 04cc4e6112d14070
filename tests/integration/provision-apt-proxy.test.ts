// provision.apt_proxy (issue 18 item 3): Spyre points the CT's apt at the configured proxy in the packages
// step, and apt really goes through it. The "proxy" is a tiny HTTP server this test runs on the simulator's
// gateway (the only host address a CT can reach, with its port exposed there): it serves the local test
// repository for one made-up host name that no resolver knows, records every request, and fetches nothing.
// A config's own `apt_proxy: none` removes Spyre's apt setting again. A CT from Proxmox's plain standard
// template (no tmux) gets tmux from Spyre's bring-up through the same proxy (the real .deb files the
// template build kept), and its terminal works. Spyre's modules run in this process.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAptRepo, ctProxiedRepoScript, HELLO_OUTPUT, REPO_HOST, startRepoProxy, type AptRepo, type RepoProxy } from '../helpers/apt-repo';
import { control, pveRequest, setGatewayPorts, simNetwork, ssh as sshCmd, startSim, type RunningSim } from '../helpers/sim';
import { STANDARD_TEMPLATE, templateDebs, TEST_TEMPLATE } from '../helpers/templates';
import { quote } from '../../src/lib/server/shell';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';

const TEMPLATE = TEST_TEMPLATE;
const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };

let sim: RunningSim;
let data: TestDataDir;
let configsDir: string;
let repo: AptRepo;
let proxy: RepoProxy;
let proxyUrl = '';
/** Every request the proxy saw: method and request target (a proxy gets absolute URLs). */
let hits: string[] = [];
let provisioner: typeof import('../../src/lib/server/provisioner');
let environments: typeof import('../../src/lib/server/environments');
let jobs: typeof import('../../src/lib/server/jobs');

function configYaml(name: string, aptProxy?: string, extraFiles = ''): string {
	return `apiVersion: spyre/v1
kind: Environment
metadata:
  name: ${name}
spec:
  platform:
    template: ${TEMPLATE}
    cores: 1
    memory: 512
    disk: 4
  provision:
    packages: [spyre-hello]
${aptProxy ? `    apt_proxy: ${aptProxy}\n` : ''}    files:
      - path: /etc/apt/sources.list
        content: "# no network in tests\\n"
      - path: /etc/apt/sources.list.d/spyre-test.list
        content: "deb [trusted=yes] http://${REPO_HOST}/ ./\\n"
${extraFiles}`;
}

async function provision(config: string, hostname: string): Promise<string> {
	const row = await provisioner.provisionEnvironment({ config, hostname }, actor);
	await environments.settled(row.id);
	return row.id;
}

function inCt(envId: string, cmd: string) {
	return sshCmd(data.privateKey, environments.getEnvironment(envId)!.ip!, sim.simJson.sshPort, cmd);
}

beforeAll(async () => {
	repo = await buildAptRepo(1, { debs: templateDebs() });
	sim = await startSim();
	const gw = simNetwork(sim.simJson).gateway;
	proxy = await startRepoProxy(repo, gw);
	({ url: proxyUrl, hits } = proxy);
	await setGatewayPorts(sim.simJson, [proxy.port]);
	data = await makeDataDir({ simJson: sim.simJson, config: { provision: { apt_proxy: proxyUrl } } });
	// configs.dir is <data_dir>/configs by default.
	configsDir = path.join(data.dataDir, 'configs');
	fs.mkdirSync(configsDir, { recursive: true });
	fs.writeFileSync(path.join(configsDir, 'via-proxy.yaml'), configYaml('via-proxy'));
	// A stale setting of Spyre's in the CT (written by the files step, before packages) must go with `none`.
	const stale = `      - path: /etc/apt/apt.conf.d/90spyre-proxy\n        content: 'Acquire::http::Proxy "${proxyUrl}";'\n`;
	fs.writeFileSync(path.join(configsDir, 'no-proxy.yaml'), configYaml('no-proxy', 'none', stale));
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
	await sim?.stop();
	repo?.remove();
	data?.remove();
});

describe('provision.apt_proxy', () => {
	let envId = '';

	it("writes the proxy into the CT's apt settings, and apt fetches the lists and the package through it", async () => {
		envId = await provision('via-proxy', 'apt-proxy-1');
		const run = jobs.latestRun(envId)!;
		expect(run.status, run.error ?? '').toBe('succeeded');
		expect(run.events.some((e) => e.kind === 'status' && e.message.includes(`through the proxy ${proxyUrl}`))).toBe(true);
		const conf = await inCt(envId, 'cat /etc/apt/apt.conf.d/90spyre-proxy; spyre-hello');
		expect(conf.code, conf.stderr).toBe(0);
		expect(conf.stdout).toContain(`Acquire::http::Proxy "${proxyUrl}";`);
		expect(conf.stdout).toContain(HELLO_OUTPUT);
		expect(hits).toContain(`GET http://${REPO_HOST}/./spyre-hello_1.0_all.deb`);
		expect(hits.some((h) => /^GET http:\/\/spyre-test-repo\.invalid\/\.\/Packages/.test(h))).toBe(true);
	});

	it("a config's apt_proxy: none removes Spyre's apt setting, and apt no longer reaches the repository", async () => {
		const before = hits.length;
		const id = await provision('no-proxy', 'apt-proxy-2');
		const run = jobs.latestRun(id)!;
		// The files step wrote the stale setting; the packages step removed it before apt ran: without the
		// proxy the made-up host does not resolve, so the install fails, and the proxy saw nothing.
		expect(run.events.some((e) => e.kind === 'step' && e.step === 'packages')).toBe(true);
		expect(run.status).toBe('failed');
		expect(run.error ?? '').toMatch(/spyre-hello|package/i);
		expect(hits.length).toBe(before);
		const r = await inCt(id, 'test -e /etc/apt/apt.conf.d/90spyre-proxy && echo present || echo absent');
		expect(r.stdout.trim()).toBe('absent');
	});
});

describe("a CT from Proxmox's standard template", () => {
	/** The running CT named `hostname`, once the simulator lists it. */
	async function runningCt(hostname: string): Promise<number> {
		for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
			const r = await pveRequest<{ vmid: number | string; name?: string; status: string }[]>(sim.simJson, 'GET', `/nodes/${sim.simJson.node}/lxc`);
			const ct = r.body?.data.find((c) => c.name === hostname && c.status === 'running');
			if (ct) return Number(ct.vmid);
		}
		throw new Error(`CT ${hostname} did not start`);
	}

	it('has no tmux; the bring-up installs it through the proxy, and a terminal runs in it', async () => {
		// The CT's own sources point at deb.debian.org, which tests cannot reach: while its address is held
		// back, the simulated host's `pct exec` points its apt at the test repository (a site mirror would).
		await control(sim.simJson, { interfacesEmptyFor: { seconds: 120 } });
		const row = await environments.createEnvironment({ hostname: 'plain-std', template: STANDARD_TEMPLATE, cores: 1, memory: 512, disk: 4 }, actor);
		const vmid = await runningCt('plain-std');
		const sources = `${ctProxiedRepoScript()} && ! command -v tmux`;
		const host = sim.simJson.host;
		let pct = { code: -1, stdout: '', stderr: '' };
		for (const end = Date.now() + 30_000; pct.code !== 0 && Date.now() < end; await new Promise((r) => setTimeout(r, 250)))
			pct = await sshCmd(host.privateKeyPath, host.address, host.port, `pct exec ${vmid} -- sh -c ${quote(sources)}`);
		expect(pct.code, pct.stderr).toBe(0);
		await control(sim.simJson, { reset: true });
		await environments.settled(row.id);

		const run = jobs.latestRun(row.id)!;
		expect(
			run.status,
			[
				run.error,
				...run.events
					.filter((e) => e.kind === 'output')
					.slice(-30)
					.map((e) => e.message)
			].join('\n')
		).toBe('succeeded');
		const tools = run.events.find((e) => e.kind === 'step' && e.step === 'tools');
		expect(tools?.message).toContain(`Installing tmux`);
		expect(tools?.message).toContain(`through the proxy ${proxyUrl}`);
		expect(hits.some((h) => /^GET http:\/\/spyre-test-repo\.invalid\/\.\/tmux_[^/]+\.deb$/.test(h))).toBe(true);

		const tmux = await import('../../src/lib/server/terminal/tmux-controller');
		const target = { envId: row.id, host: environments.getEnvironment(row.id)!.ip! };
		await tmux.ensureSession(target);
		const win = await tmux.createWindow(target, 'check');
		const ssh = await import('../../src/lib/server/ssh');
		await ssh.exec(target, `tmux -L spyre send-keys -t ${quote(`=spyre:${win.index}`)} 'echo made-in-$((6*7))' Enter`);
		let screen = '';
		for (const end = Date.now() + 10_000; !screen.includes('made-in-42') && Date.now() < end; await new Promise((r) => setTimeout(r, 200)))
			screen = (await ssh.exec(target, `tmux -L spyre capture-pane -p -t ${quote(`=spyre:${win.index}`)}`)).stdout;
		expect(screen).toContain('made-in-42');
		// It is the CT's own package now (installed by dpkg, not a file of the host).
		expect((await inCt(row.id, 'dpkg -s tmux | grep Status')).stdout).toContain('install ok installed');
		expect((await inCt(row.id, 'tmux -V')).stdout).toMatch(/^tmux \d/);
	}, 150_000);
});
