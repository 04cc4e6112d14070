// The steps of one provision, in the order they run, from a resolved config. Step ids are stable across
// edits of unrelated parts of a config (a script's id is its name), so "retry from this step" still finds
// the step after the user fixed the config. Pure: no I/O.

import type { EnvironmentConfig } from '$lib/shared/types/configs';

export type Phase = 'create' | 'helper' | 'provision';

export type StepKind = 'create' | 'helper' | 'users' | 'files' | 'packages' | 'repos' | 'script';

export interface PlanStep {
	/** Stable id: `create`, `helper`, `users`, `files`, `packages`, `repos`, `script:<name>`. */
	id: string;
	kind: StepKind;
	phase: Phase;
	title: string;
	/** For `script` steps: the script's name. */
	script?: string;
}

export const PHASE_TITLES: Record<Phase, string> = {
	create: 'Create the container',
	helper: 'Helper script',
	provision: 'Provision'
};

/**
 * Users come before files (a file may be owned by a configured user), and files before packages (a config
 * may ship an apt source or a package-manager setting that the install needs); repos are cloned after the
 * packages (git and ssh usually come from them) and before the scripts (a script may build a clone).
 */
export function planSteps(config: EnvironmentConfig): PlanStep[] {
	const p = config.spec.provision;
	const steps: PlanStep[] = [{ id: 'create', kind: 'create', phase: 'create', title: PHASE_TITLES.create }];
	if (config.spec.helper_script) {
		const hs = config.spec.helper_script;
		steps.push({ id: 'helper', kind: 'helper', phase: 'helper', title: `Run the helper script ${hs.file ?? hs.url}` });
	}
	if (p.users.length > 0) steps.push({ id: 'users', kind: 'users', phase: 'provision', title: `Create users: ${p.users.map((u) => u.name).join(', ')}` });
	if (p.files.length > 0) steps.push({ id: 'files', kind: 'files', phase: 'provision', title: `Write ${p.files.length} file${p.files.length === 1 ? '' : 's'}` });
	if (p.packages.length > 0) steps.push({ id: 'packages', kind: 'packages', phase: 'provision', title: `Install packages: ${p.packages.join(' ')}` });
	const repos = config.spec.repos;
	if (repos.length > 0) steps.push({ id: 'repos', kind: 'repos', phase: 'provision', title: `Clone repositories: ${repos.map((r) => r.path).join(', ')}` });
	for (const s of p.scripts) steps.push({ id: `script:${s.name}`, kind: 'script', phase: 'provision', title: `Run script ${s.name}`, script: s.name });
	return steps;
}

/** The steps to run when retrying from `fromStep`; a step that no longer exists is an error. */
export function stepsFrom(steps: PlanStep[], fromStep: string): PlanStep[] {
	const i = steps.findIndex((s) => s.id === fromStep);
	if (i < 0) throw new Error(`step ${fromStep} is not in this config any more`);
	return steps.slice(i);
}

/** Percent done when `index` (0-based) of `total` steps starts. */
export function percentAt(index: number, total: number): number {
	return total <= 0 ? 0 : Math.round((index / total) * 100);
}
