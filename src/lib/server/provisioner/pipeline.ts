// One provision run: the plan's steps from a starting step to the end, each announced with its phase,
// i/n and percent, inside a job (so it survives a closed tab, can be cancelled, and a restart finds it).
// A failing step leaves the CT as it is and records which step failed and why; the job's onFailure turns
// that into the environment's error state, from which "retry from this step" starts a new run here.

import type { EnvironmentConfig } from '$lib/shared/types/configs';
import * as environments from '../environments';
import type { CreateParams, EnvironmentRow } from '../environments';
import { requireReachable } from '../environments/reachable';
import type { Run } from '../jobs';
import { runCreatePhase } from './create-phase';
import { runHelperScript } from './helper-script';
import { percentAt, stepsFrom, type PlanStep } from './plan';
import { cloneRepos, createUsers, installPackages, runScript, writeFiles, type StepContext } from './provision-steps';
import { StepFailedError } from './step-output';
import * as lifecycle from '../lifecycle';

export interface PipelineInput {
	row: EnvironmentRow;
	config: EnvironmentConfig;
	steps: PlanStep[];
	from: string;
	/** Parameters of a brand-new CT; null on a retry (the create step then reuses or recreates the CT). */
	fresh: CreateParams | null;
}

export async function runPipeline(run: Run, input: PipelineInput, signal: AbortSignal): Promise<void> {
	const { config, steps } = input;
	const total = steps.length;
	let row = input.row;
	try {
		for (const step of stepsFrom(steps, input.from)) {
			if (signal.aborted) throw signal.reason;
			const index = steps.indexOf(step);
			if (run.currentPhase !== step.phase) run.setPhase(step.phase);
			if (step.kind === 'create') {
				row = await runCreatePhase(run, row, config, input.fresh, signal, { from: percentAt(index, total), to: percentAt(index + 1, total) });
				continue;
			}
			run.step(step.id, step.title, { phase: step.phase, index: index + 1, total, percent: percentAt(index, total) });
			if (row.status !== 'provisioning') row = environments.changeEnvironment(row.id, { status: 'provisioning', error: null, error_step: null });
			const ctx: StepContext = { run, target: requireReachable(row.id), config, signal };
			await runStep(ctx, step, row);
		}
	} catch (err) {
		if (err instanceof StepFailedError && err.lastLines.length > 0) {
			run.event('error', `Last ${err.lastLines.length} line${err.lastLines.length === 1 ? '' : 's'} of output:\n${err.lastLines.join('\n')}`);
		}
		throw err;
	}
	environments.changeEnvironment(row.id, { status: 'running', error: null, error_step: null });
	lifecycle.saveLifecycle(row.id, lifecycleFrom(config));
	// Service URLs: a Caddy problem is reported but does not undo a good provision (start-up retries).
	await import('../proxy')
		.then((proxy) => proxy.servicesProvisioned(row.id, row.hostname, config.spec.services))
		.catch((err) => run.event('warning', `Service URLs were not updated: ${(err as Error).message}`));
	run.step('done', `${row.hostname} is provisioned from ${config.metadata.name}`, { phase: 'provision', index: total, total, percent: 100 });
}

/** The config's idle time (null: environment.yaml's default) and schedule (checked by the config schema). */
function lifecycleFrom(config: EnvironmentConfig): { idleStopMinutes: number | null; schedule: lifecycle.ScheduleWindow[] } {
	const lc = config.spec.lifecycle;
	return { idleStopMinutes: lc?.idle_stop_minutes ?? null, schedule: (lc?.schedule ?? []) as lifecycle.ScheduleWindow[] };
}

async function runStep(ctx: StepContext, step: PlanStep, row: EnvironmentRow): Promise<void> {
	switch (step.kind) {
		case 'helper':
			return runHelperScript(ctx.run, row.vmid!, ctx.target, ctx.config.spec.helper_script!, ctx.signal);
		case 'users':
			return createUsers(ctx);
		case 'files':
			return writeFiles(ctx);
		case 'packages':
			return installPackages(ctx);
		case 'repos':
			return cloneRepos(ctx);
		case 'script': {
			const script = ctx.config.spec.provision.scripts.find((s) => s.name === step.script);
			if (!script) throw new Error(`script ${step.script} vanished from the plan`);
			return runScript(ctx, script);
		}
		case 'create':
			throw new Error('the create step runs in runCreatePhase');
	}
}
