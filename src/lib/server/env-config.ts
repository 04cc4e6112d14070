// Moved to ./env-config (one job per file: schema, validate, files, normalise, parse, load, errors, types);
// this barrel keeps `$lib/server/env-config` imports working.
export { ConfigError } from './env-config/errors';
export type { SpyreConfig } from './env-config/types';
export { parseConfig } from './env-config/parse';
export { configPathFromEnv, getConfig, loadConfig, resetConfigForTests } from './env-config/load';
