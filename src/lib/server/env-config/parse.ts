// environment.yaml text to SpyreConfig: YAML syntax, then the schema, then the files it names, then the
// app's shape. Each stage throws one ConfigError listing all of its problems.

import { parseDocument } from 'yaml';
import { ConfigError } from './errors';
import { readConfigFiles } from './files';
import { applyListenEnv } from './listen-env';
import { toSpyreConfig } from './normalise';
import type { SpyreConfig } from './types';
import { validateDocument } from './validate';

/**
 * Parse and validate YAML text. Throws ConfigError listing every problem with its key path. `env` is where
 * PORT/HOST come from (loadConfig passes process.env; specs pass nothing, so a test runner's PORT is ignored).
 */
export function parseConfig(text: string, configPath: string, env: Readonly<Record<string, string | undefined>> = {}): SpyreConfig {
	const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
	if (doc.errors.length > 0) {
		const problems = doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`);
		throw new ConfigError(`${configPath} is not valid YAML:\n  - ${problems.join('\n  - ')}`, problems);
	}
	const raw: unknown = doc.toJS() ?? {};
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
		throw new ConfigError(`${configPath}: the top level must be a mapping of sections`, ['(root): must be a mapping']);
	}
	const { cfg, warnings } = validateDocument(applyListenEnv(raw as Record<string, unknown>, env), configPath);
	const files = readConfigFiles(cfg, configPath);
	return toSpyreConfig(cfg, configPath, files, warnings);
}
