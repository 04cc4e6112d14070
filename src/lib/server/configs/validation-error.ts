// A config that does not validate: a SpyreError('validation') that also carries every problem with its
// position, so a route can return them to the editor, and `fields` (key path -> message) for forms.

import type { ConfigProblem } from '$lib/shared/types/configs';
import { SpyreError } from '../errors';

export class ConfigValidationError extends SpyreError {
	readonly problems: ConfigProblem[];

	constructor(message: string, problems: ConfigProblem[]) {
		const fields: Record<string, string> = {};
		for (const p of problems) if (p.severity === 'error') fields[p.path || '_'] ??= p.message;
		super('validation', message, { fields });
		this.name = 'ConfigValidationError';
		this.problems = problems;
	}
}
