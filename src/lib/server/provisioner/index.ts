// The provisioner: an environment built from a config in three recorded phases (create → helper script →
// provision over SSH), as one job per environment. `import * as provisioner from '$lib/server/provisioner'`.
// The config is resolved once per run and snapshotted on it, so the environment page shows exactly what a
// run built, and a retry picks up the config as it is now (the user may have fixed it).

import type { AuditActor } from '../audit';
import * as audit from '../audit';
import * as configs from '../configs';
import * as environments from '../environments';
import type { EnvironmentRow } from '../environments';
import { SpyreError } from '../errors';
import * as jobs from '../jobs';
import * as repos from '../repos';
import { configYaml } from '$lib/shared/config-yaml';
import { CONFIG_NAME_RE } from '$lib/shared/validation/config-name';
import type { ConfigVersionSummary, EnvironmentConfig } from '$lib/shared/types/configs';
import { platformOf } from './create-phase';
import { runPipeline } from './pipeline';
import { planSteps, type PlanStep } from './plan';

export { planSteps, PHASE_TITLES, type PlanStep, type Phase } from './plan';

function snapshot(config: EnvironmentConfig, chain: string[], version: ConfigVersionSummary): string {
	return `# Resolved from ${chain.join(' → ')} (${chain[0]} v${version.version}, sha256 ${version.sha256}) at ${new Date().toISOString()}\n${configYaml(config)}`;
}

/** The dialog says which version it builds; if the config changed since it opened, say so instead of building another. */
function refuseStaleVersion(name: string, wanted: unknown, current: ConfigVersionSummary): void {
	if (wanted === undefined || wanted === null) return;
	if (typeof wanted !== 'number' || !Number.isSafeInteger(wanted)) throw new SpyreError('validation', 'version must be a version number.', { fields: { version: 'Not a version number.' } });
	if (wanted !== current.version) {
		throw new SpyreError('conflict', `${name} is at version ${current.version} now, not ${wanted}: it changed since you opened this. Review it, then provision again.`, {
			fields: { config: `${name} changed to v${current.version}.` }
		});
	}
}

function requireString(body: Record<string, unknown>, key: string, label: string): string {
	const value = body[key];
	if (typeof value !== 'string' || value.trim() === '') {
		throw new SpyreError('validation', `${label} is required.`, { fields: { [key]: `${label} is required.` } });
	}
	return value.trim();
}

/**
 * Create a new environment from config `body.config`, named `body.hostname`, on `body.node` (or the config's
 * node), from `body.template` when given (else the config's).
 */
export async function provisionEnvironment(body: Record<string, unknown>, actor: AuditActor): Promise<EnvironmentRow> {
	const name = requireString(body, 'config', 'A config');
	if (!CONFIG_NAME_RE.test(name)) throw new SpyreError('validation', 'Config names are slugs.', { fields: { config: 'Config names are slugs.' } });
	const hostname = requireString(body, 'hostname', 'A hostname');
	const node = body.node === undefined || body.node === null || body.node === '' ? undefined : body.node;
	const { config, chain, version } = configs.resolveConfig(name);
	refuseStaleVersion(name, body.version, version);
	const p = config.spec.platform;
	// `template` replaces the config's for this environment only (the provision form offers it when the
	// config's template is not on the node, e.g. an Ubuntu config on a cluster that has only Debian); it is
	// checked against the node's templates like any other.
	const template = typeof body.template === 'string' && body.template.trim() !== '' ? body.template.trim() : p.template;
	const input: Record<string, unknown> = { hostname, node: node ?? p.node, template, cores: p.cores, memory: p.memory, disk: p.disk };
	// Every service gets a host of its own: a name that would collide is refused before anything is created.
	(await import('../proxy')).checkServiceNames(null, hostname, config.spec.services);
	repos.requireCredentials(config.spec.repos);
	const { row, params } = await environments.prepareCreate(input, actor, { platform: platformOf(config), configName: name });
	const steps = planSteps(config);
	start(row, actor, { name, config, chain, version }, steps, 'create', params);
	return environments.getEnvironment(row.id) ?? row;
}

/** A step id of the create flow (allocate, network, ssh, …) belongs to the plan's one `create` step. */
function planStepOf(step: string | null, steps: PlanStep[]): string | null {
	if (step === null) return null;
	if (steps.some((s) => s.id === step)) return step;
	// `tools` (Spyre's own tools installed at bring-up) runs inside the create flow too, outside its progress steps.
	return environments.CREATE_STEPS.includes(step as (typeof environments.CREATE_STEPS)[number]) || step === 'tools' ? 'create' : null;
}

/** Start a new run from `fromStep` (default: where the last provision failed) with the config as it is now. */
export async function retryProvision(envId: string, fromStep: string | null, actor: AuditActor): Promise<EnvironmentRow> {
	const row = environments.requireRow(envId);
	if (jobs.isBusy(envId)) throw new SpyreError('conflict', `${row.hostname} is busy (${jobs.busyKind(envId)}); wait for it or cancel it.`);
	// The newest provision run says which config and which step, for retry.
	const last = jobs.latestRun(envId, 'provision');
	const name = row.config_name ?? last?.configName ?? null;
	if (!name) throw new SpyreError('conflict', `${row.hostname} was not built from a config, so there is nothing to retry.`);
	if (['destroying', 'missing'].includes(row.status)) throw new SpyreError('conflict', `${row.hostname} is ${row.status}; it cannot be provisioned.`);
	const { config, chain, version } = configs.resolveConfig(name);
	repos.requireCredentials(config.spec.repos);
	const steps = planSteps(config);
	const wanted = fromStep ?? planStepOf(row.error_step, steps) ?? planStepOf(last?.step ?? null, steps) ?? 'create';
	if (!steps.some((s) => s.id === wanted)) {
		throw new SpyreError('validation', `Step ${wanted} is not in config ${name} any more. Steps: ${steps.map((s) => s.id).join(', ')}.`, {
			fields: { fromStep: `Choose one of: ${steps.map((s) => s.id).join(', ')}` }
		});
	}
	audit.record(actor, 'environment.provision.retry', `${row.hostname} (${row.id})`, 'success', `from step ${wanted}, ${name} v${version.version}`);
	start(row, actor, { name, config, chain, version }, steps, wanted, null);
	return environments.getEnvironment(envId)!;
}

/** Cancel the environment's running job (provision or any other): the running step is stopped. */
export function cancelRun(envId: string, actor: AuditActor): void {
	const row = environments.requireRow(envId);
	const who = actor.username ? ` by ${actor.username}` : '';
	if (!jobs.cancel(envId, `Cancelled${who}.`)) throw new SpyreError('conflict', `Nothing is running on ${row.hostname}.`);
}

/** What a run builds: the named config resolved through its chain, at one version of that config. */
interface Source {
	name: string;
	config: EnvironmentConfig;
	chain: string[];
	version: ConfigVersionSummary;
}

function start(row: EnvironmentRow, actor: AuditActor, source: Source, steps: PlanStep[], from: string, fresh: environments.CreateParams | null): void {
	const { config, chain, version } = source;
	jobs.startJob({
		key: row.id,
		kind: 'provision',
		actor,
		action: 'environment.provision',
		target: `${row.hostname} (${row.id})`,
		configName: source.name,
		configVersion: version.version,
		configSnapshot: snapshot(config, chain, version),
		work: async (run, signal) => {
			run.event('status', `Provisioning from config ${chain.join(' → ')} (${source.name} v${version.version}), starting at step ${from} (${steps.length} steps in all).`);
			await runPipeline(run, { row, config, steps, from, fresh }, signal);
		},
		onFailure: environments.markFailed(row.id, environments.afterFailedCreate)
	});
	// The environment remembers the version its newest run builds (create or retry), for "built from … v3".
	environments.setBuiltFrom(row.id, source.name, version.version, version.sha256);
}
