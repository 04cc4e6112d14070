// Provisioning as the demo does it (issue 18): a config without a template of its own gets environment.yaml's
// default, Proxmox's plain standard template (no tmux), and every package comes from Debian's real archive
// through the demo's real package proxy on the simulator's gateway: the bring-up installs tmux (whose
// libevent comes from bookworm-security under a name with a `+`, which apt sends as %2b — the proxy once
// refused it and every demo environment failed), the packages step installs the config's packages. A source
// the proxy does not serve fails the step with the proxy's refusal and reason in the error the owner reads.
// The proxy's cache is the machine's (tests/helpers/debian-proxy.ts): the first run on a machine fetches
// Debian's package indexes (about 16 MB) and the packages; later runs take them from the cache.
// Spyre's modules run in this process.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDebianProxy, type DebianProxy } from '../helpers/debian-proxy';
import { ssh as sshCmd, startSim, type RunningSim } from '../helpers/sim';
import { STANDARD_TEMPLATE } from '../helpers/templates';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';

const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };
/** A host that is not Debian's archive: the proxy refuses it without a request leaving. */
const OTHER_SOURCE = 'http://ftp.example.invalid/debian';

let sim: RunningSim;
let data: TestDataDir;
let proxy: DebianProxy;
let provisioner: typeof import('../../src/lib/server/provisioner');
let environments: typeof import('../../src/lib/server/environments');
let jobs: typeof import('../../src/lib/server/jobs');

function configYaml(name: string, extra = ''): string {
	return `apiVersion: spyre/v1
kind: Environment
metadata:
  name: ${name}
spec:
  provision:
    packages: [jq]
${extra}`;
}

async function provision(config: string, hostname: string): Promise<string> {
	const row = await provisioner.provisionEnvironment({ config, hostname }, actor);
	await environments.settled(row.id);
	return row.id;
}

function inCt(envId: string, cmd: string) {
	return sshCmd(data.privateKey, environments.getEnvironment(envId)!.ip!, sim.simJson.sshPort, cmd);
}

/** The run's error and its last output lines, for a failure message. */
function runReport(envId: string): string {
	const run = jobs.latestRun(envId)!;
	const tail = run.events.filter((e) => e.kind === 'output' || e.kind === 'error').slice(-30);
	return [run.error, ...tail.map((e) => e.message), ...proxy.logged.filter((l) => !l.startsWith('HIT')).slice(-20)].join('\n');
}

beforeAll(async () => {
	sim = await startSim();
	proxy = await startDebianProxy(sim.simJson);
	data = await makeDataDir({
		simJson: sim.simJson,
		// The demo's settings (scripts/write-demo-config.js): its default template is the standard one.
		config: { proxmox: { defaults: { template: STANDARD_TEMPLATE } }, provision: { apt_proxy: proxy.url, npm_registry: `${proxy.url}/` } }
	});
	const configsDir = path.join(data.dataDir, 'configs');
	fs.mkdirSync(configsDir, { recursive: true });
	fs.writeFileSync(path.join(configsDir, 'from-debian.yaml'), configYaml('from-debian'));
	fs.writeFileSync(
		path.join(configsDir, 'other-source.yaml'),
		configYaml('other-source', `    files:\n      - path: /etc/apt/sources.list.d/other.list\n        content: "deb ${OTHER_SOURCE} bookworm main\\n"\n`)
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
	await sim?.stop();
	data?.remove();
});

describe("provisioning from the standard template through the demo's package proxy", () => {
	it("installs tmux at bring-up and the config's packages from Debian's archive, the proxy refusing nothing", async () => {
		const envId = await provision('from-debian', 'from-debian');
		const run = jobs.latestRun(envId)!;
		expect(run.status, runReport(envId)).toBe('succeeded');
		expect(environments.getEnvironment(envId)!.template).toBe(STANDARD_TEMPLATE);
		const tools = run.events.find((e) => e.kind === 'step' && e.step === 'tools');
		expect(tools?.message).toBe(`Installing tmux (Spyre's terminals run in it) through the proxy ${proxy.url}`);
		expect(proxy.logged.filter((l) => l.startsWith('REFUSED'))).toEqual([]);
		// The file that was refused before: a bookworm-security package whose version has a `+`.
		expect(proxy.logged).toContainEqual(expect.stringMatching(/^(HIT|MISS) \/debian-security\/pool\/updates\/main\/libe\/libevent\/libevent-core-[^ ]*%2B[^ ]*\.deb$/));
		const r = await inCt(envId, "dpkg-query -W -f '${Package} ${Status}\\n' tmux jq && tmux -V && jq --version");
		expect(r.code, r.stderr).toBe(0);
		expect(r.stdout).toMatch(/^jq install ok installed\ntmux install ok installed\ntmux \d[^\n]*\njq-\d/);
	}, 600_000);

	it("fails a source the proxy does not serve, and the owner's error names the refused URL and the reason", async () => {
		const envId = await provision('other-source', 'other-source');
		const run = jobs.latestRun(envId)!;
		expect(run.status).toBe('failed');
		expect(run.error).toContain(
			`Installing packages with apt failed with exit code 100: apt could not fetch ${OTHER_SOURCE}/dists/bookworm/InRelease (403 Refused by the package proxy: only Debian's archive`
		);
		// The proxy logged it with its URL and reason, and sent nothing to that host.
		expect(proxy.logged).toContainEqual(`REFUSED 403 GET ${OTHER_SOURCE}/dists/bookworm/InRelease: only Debian's archive (deb.debian.org/debian, /debian-security)`);
		expect(proxy.logged.some((l) => /^(MISS|UPSTREAM|ERROR).*example\.invalid/.test(l))).toBe(false);
	}, 600_000);
});
