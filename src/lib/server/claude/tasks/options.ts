// A task's options: what the caller asked for, else the environment's config `claude:` section, else
// Spyre's defaults. Validated here (field errors for the form), so the launcher only ever quotes values
// that already look like what the CLI accepts.

import { SpyreError } from '../../errors';
import { CONFIG_RULES } from '../../configs';
import { DEFAULT_PERMISSION_MODE, TASK_PERMISSION_MODES, type TaskOptions, type TaskOptionsInput, type TaskPermissionMode } from '$lib/shared/types/claude';
import type { EnvironmentConfig } from '$lib/shared/types/configs';

type ConfigClaude = NonNullable<EnvironmentConfig['spec']['claude']>;

export const DEFAULT_WORKDIR = '/root';

export function resolveOptions(input: TaskOptionsInput, config: ConfigClaude | null): TaskOptions {
	const fields: Record<string, string> = {};
	const permissionMode = input.permissionMode ?? config?.permission_mode ?? DEFAULT_PERMISSION_MODE;
	if (!TASK_PERMISSION_MODES.includes(permissionMode)) fields.permissionMode = `must be one of ${TASK_PERMISSION_MODES.join(', ')}`;
	const model = input.model === undefined ? (config?.model ?? null) : input.model || null;
	if (model !== null && !CONFIG_RULES.model.test(model)) fields.model = 'must be a model name such as sonnet, opus or claude-sonnet-4-5';
	const maxTurns = input.maxTurns ?? null;
	if (maxTurns !== null && !(Number.isInteger(maxTurns) && maxTurns >= 1 && maxTurns <= 1000)) fields.maxTurns = 'must be a whole number from 1 to 1000';
	const maxBudgetUsd = input.maxBudgetUsd ?? null;
	if (maxBudgetUsd !== null && !(Number.isFinite(maxBudgetUsd) && maxBudgetUsd > 0 && maxBudgetUsd <= 10_000)) fields.maxBudgetUsd = 'must be a positive amount up to 10000';
	const allowedTools = input.allowedTools ?? config?.allowed_tools ?? [];
	if (!Array.isArray(allowedTools) || allowedTools.length > 200 || allowedTools.some((t) => typeof t !== 'string' || !CONFIG_RULES.tool.test(t))) {
		fields.allowedTools = 'must be tool rules such as Read, Edit or Bash(git log:*)';
	}
	const repo = input.repo === undefined ? null : input.repo || null;
	// A task on a repository works in it unless told otherwise.
	const workdir = input.workdir || (typeof repo === 'string' ? repo : null) || config?.workdir || DEFAULT_WORKDIR;
	if (typeof workdir !== 'string' || !workdir.startsWith('/') || workdir.length > 4096 || /[\0-\x1f]/.test(workdir)) fields.workdir = 'must be an absolute path';
	const repoProblem = repo === null ? null : repoPathProblem(repo);
	if (repoProblem) fields.repo = repoProblem;
	if (Object.keys(fields).length > 0) throw new SpyreError('validation', 'Some task options are not valid.', { fields });
	return {
		model,
		maxTurns,
		maxBudgetUsd,
		permissionMode,
		allowedTools,
		workdir,
		snapshot: input.snapshot ?? permissionMode === 'bypassPermissions',
		repo
	};
}

/**
 * A repository path's shape (whether it is a repo of the environment is checked there, at dispatch). Shell
 * metacharacters would be quoted safely, but no checkout Spyre makes has them, so they are refused with a
 * clear message instead of becoming a path nobody meant.
 */
export function repoPathProblem(path: unknown): string | null {
	if (typeof path !== 'string' || !path.startsWith('/')) return 'must be an absolute path such as /root/app';
	if (path.length > 1024) return 'is too long (1024 characters at most)';
	if (!/^\/[A-Za-z0-9._@+/-]*$/.test(path)) return 'may use letters, digits and . _ @ + - / only';
	if (path.split('/').some((part) => part === '..')) return 'may not contain ..';
	return null;
}

/** Options from a JSON body or form: strings become numbers/lists, blanks become "not set". */
export function optionsFromBody(body: Record<string, unknown>): TaskOptionsInput {
	const out: TaskOptionsInput = {};
	const text = (v: unknown) => (typeof v === 'string' ? v.trim() : v);
	const number = (v: unknown): number | undefined => {
		const t = text(v);
		if (t === undefined || t === null || t === '') return undefined;
		return typeof t === 'number' ? t : Number(t);
	};
	if (body.model !== undefined) out.model = (text(body.model) as string) || null;
	if (body.maxTurns !== undefined) out.maxTurns = number(body.maxTurns) ?? null;
	if (body.maxBudgetUsd !== undefined) out.maxBudgetUsd = number(body.maxBudgetUsd) ?? null;
	if (typeof body.permissionMode === 'string' && body.permissionMode) out.permissionMode = body.permissionMode as TaskPermissionMode;
	if (typeof body.workdir === 'string' && body.workdir.trim()) out.workdir = body.workdir.trim();
	if (Array.isArray(body.allowedTools)) out.allowedTools = body.allowedTools as string[];
	else if (typeof body.allowedTools === 'string' && body.allowedTools.trim())
		out.allowedTools = body.allowedTools
			.split(/\n|,(?![^(]*\))/)
			.map((s) => s.trim())
			.filter(Boolean);
	if (typeof body.repo === 'string') out.repo = body.repo.trim() || null;
	if (typeof body.snapshot === 'boolean') out.snapshot = body.snapshot;
	else if (body.snapshot === 'on' || body.snapshot === 'true') out.snapshot = true;
	else if (body.snapshot === 'off' || body.snapshot === 'false') out.snapshot = false;
	return out;
}
