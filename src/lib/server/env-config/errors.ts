// The start-up error a user sees when environment.yaml is missing or wrong: one message listing every problem
// by key path (never by value, so a secret cannot leak into it). server.js recognises it by its name.

export class ConfigError extends Error {
	readonly problems: string[];
	constructor(message: string, problems: string[] = []) {
		super(message);
		this.name = 'ConfigError';
		this.problems = problems;
	}
}

/** `<file> has N problems:` followed by one indented line per problem. */
export function invalidConfig(configPath: string, problems: string[]): ConfigError {
	const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
	return new ConfigError(`${configPath} has ${count}:\n  - ${problems.join('\n  - ')}`, problems);
}
