// Runs the schema over the parsed YAML document. Unknown keys warn rather than fail, so an older Spyre can
// start with a newer file; every other problem, cross-field ones included, is listed at once.

import { invalidConfig } from './errors';
import { configSchema, crossFieldProblems, crossFieldWarnings, friendlyIssue, type RawConfig } from './schema';

function formatPath(p: ReadonlyArray<PropertyKey>): string {
	return p.map(String).join('.') || '(root)';
}

/** The document without the keys at `paths` (the unknown ones), parsed again so defaults apply. */
function stripUnknown(raw: unknown, paths: PropertyKey[][]): RawConfig {
	const copy = structuredClone(raw) as Record<string, unknown>;
	for (const p of paths) {
		let node: Record<string, unknown> | undefined = copy;
		for (const key of p.slice(0, -1)) node = node?.[String(key)] as Record<string, unknown> | undefined;
		if (node) delete node[String(p[p.length - 1])];
	}
	return configSchema.parse(copy);
}

/** The validated document and its warnings; throws ConfigError listing every problem with its key path. */
export function validateDocument(raw: Record<string, unknown>, configPath: string): { cfg: RawConfig; warnings: string[] } {
	const warnings: string[] = crossFieldWarnings(raw);
	const crossProblems = crossFieldProblems(raw);
	const lenient = configSchema.safeParse(raw, { error: friendlyIssue });
	if (lenient.success && crossProblems.length > 0) {
		throw invalidConfig(configPath, crossProblems);
	}
	if (lenient.success) return { cfg: lenient.data, warnings };

	const unknown = lenient.error.issues.filter((i) => i.code === 'unrecognized_keys');
	const problems = [...lenient.error.issues.filter((i) => i.code !== 'unrecognized_keys').map((i) => `${formatPath(i.path)}: ${i.message}`), ...crossProblems];
	for (const issue of unknown) {
		for (const key of (issue as { keys: string[] }).keys) {
			warnings.push(`${formatPath([...issue.path, key])}: unknown key (ignored)`);
		}
	}
	if (problems.length > 0) {
		throw invalidConfig(configPath, problems);
	}
	const cfg = stripUnknown(
		raw,
		unknown.map((i) => [...i.path, ...(i as { keys: string[] }).keys])
	);
	return { cfg, warnings };
}
