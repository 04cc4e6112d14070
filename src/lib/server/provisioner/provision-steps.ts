// Phase 3: provisioning over SSH into the CT. Each function is one step of the plan: it streams what the
// commands print into the run log and throws StepFailedError (with the last lines) when one fails. Files
// go over SFTP, never through a shell; every other value is quoted by the shell helper.

import type { EnvironmentConfig, ResolvedFile, ResolvedScript } from '$lib/shared/types/configs';
import * as configs from '../configs';
import type { Run } from '../jobs';
import * as repos from '../repos';
import * as ssh from '../ssh';
import { fileAttributesCommand, parentDirCommand, runScriptCommand, scriptOwnershipCommand, scriptPath, scriptsDirCommand, userCommand } from './commands';
import { npmRegistryCommand } from './npm-registry';
import { detectPackageManager, installCommand, LOCK_WAIT_S, packageFailureSummary } from './package-manager';
import { createOutputLog } from './output-log';
import { FAILURE_TAIL_LINES, runRecorded, runnerFor, StepFailedError } from './step-output';

export interface StepContext {
	run: Run;
	target: ssh.SshTarget;
	config: EnvironmentConfig;
	signal: AbortSignal;
}

const SHORT_COMMAND_MS = 60_000;

export async function createUsers(ctx: StepContext): Promise<void> {
	for (const user of ctx.config.spec.provision.users) {
		ctx.run.event('status', `User ${user.name}${user.groups.length ? ` (groups ${user.groups.join(', ')})` : ''}`);
		await runRecorded(ctx.run, runnerFor(ctx.target), userCommand(user), {
			label: `Creating user ${user.name}`,
			timeoutMs: SHORT_COMMAND_MS,
			signal: ctx.signal
		});
	}
}

function fileContent(file: ResolvedFile): Buffer {
	if (file.content !== null) return Buffer.from(file.content, 'utf8');
	if (file.source) return configs.readConfigAsset(file.source);
	return Buffer.alloc(0);
}

export async function writeFiles(ctx: StepContext): Promise<void> {
	const runner = runnerFor(ctx.target);
	for (const file of ctx.config.spec.provision.files) {
		if (ctx.signal.aborted) throw ctx.signal.reason;
		const data = fileContent(file);
		ctx.run.event('status', `${file.path} (${data.length} bytes${file.mode !== null ? `, mode ${file.mode.toString(8)}` : ''}${file.owner ? `, owner ${file.owner}` : ''})`);
		await runRecorded(ctx.run, runner, parentDirCommand(file.path), { label: `Creating the folder of ${file.path}`, timeoutMs: SHORT_COMMAND_MS, signal: ctx.signal, quiet: true });
		try {
			await ssh.writeFile(ctx.target, file.path, data, { mode: file.mode ?? 0o644 });
		} catch (err) {
			throw new StepFailedError(`Writing ${file.path} failed: ${(err as Error).message}`, []);
		}
		const attrs = fileAttributesCommand(file.path, file.mode, file.owner);
		if (attrs) await runRecorded(ctx.run, runner, attrs, { label: `Setting the owner and mode of ${file.path}`, timeoutMs: SHORT_COMMAND_MS, signal: ctx.signal, quiet: true });
	}
}

export async function installPackages(ctx: StepContext): Promise<void> {
	const osRelease = await ssh.exec(ctx.target, 'cat /etc/os-release', { timeoutMs: SHORT_COMMAND_MS });
	if (osRelease.code !== 0) throw new StepFailedError('Could not read /etc/os-release in the container.', osRelease.stderr.split('\n').slice(-10));
	const pm = detectPackageManager(osRelease.stdout);
	const { packages, apt_proxy: proxy, npm_registry: registry } = ctx.config.spec.provision;
	ctx.run.event(
		'status',
		`Installing ${packages.length} package${packages.length === 1 ? '' : 's'} with ${pm}${proxy ? ` through the proxy ${proxy}` : ''} (waits up to ${LOCK_WAIT_S} s for another package run to finish).`
	);
	await runRecorded(ctx.run, runnerFor(ctx.target), installCommand(pm, packages, proxy), {
		label: `Installing packages with ${pm}`,
		// Lock wait plus the install itself; large package sets on a slow mirror take minutes.
		timeoutMs: (LOCK_WAIT_S + 1800) * 1000,
		signal: ctx.signal,
		explain: packageFailureSummary(pm)
	});
	// After the install, so an npm that came with these packages is asked where its global config is.
	if (registry) ctx.run.event('status', `npm in this environment uses the registry ${registry}.`);
	await runRecorded(ctx.run, runnerFor(ctx.target), npmRegistryCommand(registry), {
		label: registry ? `Pointing npm at ${registry}` : "Removing Spyre's npm registry setting",
		timeoutMs: SHORT_COMMAND_MS,
		signal: ctx.signal,
		quiet: true
	});
}

export async function runScript(ctx: StepContext, script: ResolvedScript): Promise<void> {
	const runner = runnerFor(ctx.target);
	const path = scriptPath(ctx.run.id, script);
	await runRecorded(ctx.run, runner, scriptsDirCommand(), { label: 'Preparing the scripts folder', timeoutMs: SHORT_COMMAND_MS, signal: ctx.signal, quiet: true });
	await ssh.writeFile(ctx.target, path, script.run.endsWith('\n') ? script.run : `${script.run}\n`, { mode: 0o700 });
	await runRecorded(ctx.run, runner, scriptOwnershipCommand(path, script), { label: `Preparing script ${script.name}`, timeoutMs: SHORT_COMMAND_MS, signal: ctx.signal, quiet: true });
	ctx.run.event('status', `$ ${script.name}${script.user ? ` (as ${script.user})` : ''}${script.workdir ? ` in ${script.workdir}` : ''}, timeout ${script.timeout} s`);
	await runRecorded(ctx.run, runner, runScriptCommand(path, script), {
		label: `Script ${script.name}`,
		timeoutMs: script.timeout * 1000,
		signal: ctx.signal
	});
}

/** Each repo of the config, in order, as the SSH user; git's progress is live in the run log. */
export async function cloneRepos(ctx: StepContext): Promise<void> {
	for (const repo of ctx.config.spec.repos) {
		if (ctx.signal.aborted) throw ctx.signal.reason;
		ctx.run.event(
			'status',
			`Cloning ${repo.url} (${repo.ref}) into ${repo.path}${repo.depth ? `, last ${repo.depth} commits` : ''}${repo.credential ? ` with the credential ${repo.credential}` : ''}.`
		);
		const log = createOutputLog((line) => ctx.run.event('output', line));
		const started = performance.now();
		try {
			await repos.clone(ctx.target.envId, repos.toRepoSpec(repo), (line) => log.line(line), { signal: ctx.signal });
		} catch (err) {
			log.finish();
			if (ctx.signal.aborted) throw ctx.signal.reason;
			if (err instanceof repos.GitError) throw new StepFailedError(err.message, err.lastLines.slice(-FAILURE_TAIL_LINES));
			throw err;
		}
		log.finish();
		ctx.run.event('status', `Cloned ${repo.path} in ${Math.round(performance.now() - started)} ms.`);
	}
}
