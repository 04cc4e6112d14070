// environment.yaml: the folder's entry, what the rest of Spyre imports as `$lib/server/env-config`.
// One job per file: schema, validate, files, normalise, parse, load, errors, types.
export { ConfigError } from './errors';
export type { SpyreConfig } from './types';
export { parseConfig } from './parse';
export { configPathFromEnv, getConfig, loadConfig, resetConfigForTests } from './load';
