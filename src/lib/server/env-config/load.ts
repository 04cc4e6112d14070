// Finds and reads environment.yaml (SPYRE_CONFIG, else ./environment.yaml) and keeps the one process-wide
// config. A missing file is one line that says to run ./setup.sh; warnings are logged once, at load.

import fs from 'node:fs';
import path from 'node:path';
import { forgetSingleton, singleton } from '../singleton';
import { ConfigError } from './errors';
import { parseConfig } from './parse';
import type { SpyreConfig } from './types';

export function configPathFromEnv(env: NodeJS.ProcessEnv = process.env): string {
	return path.resolve(env.SPYRE_CONFIG ?? path.join(process.cwd(), 'environment.yaml'));
}

/**
 * Read and validate the config file at `file`, with PORT/HOST from `env` over server.port/server.host
 * (see listen-env.ts). Missing file: one line that says to run ./setup.sh.
 */
export function loadConfig(file: string = configPathFromEnv(), env: NodeJS.ProcessEnv = process.env): SpyreConfig {
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (err) {
		const code = (err as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') {
			throw new ConfigError(`Spyre is not configured: ${file} does not exist. Run ./setup.sh (or ./setup.sh demo) to create it.`);
		}
		throw new ConfigError(`Cannot read ${file} (${code ?? 'error'}). Check its permissions, or run ./setup.sh.`);
	}
	return parseConfig(text, file, env);
}

/** The process-wide config, loaded once. */
export function getConfig(): SpyreConfig {
	return singleton('config', () => {
		const cfg = loadConfig();
		for (const w of cfg.warnings) console.warn(`[spyre] config warning: ${w}`);
		return cfg;
	});
}

export function resetConfigForTests(): void {
	forgetSingleton('config');
}
