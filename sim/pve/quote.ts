// Shell quoting for the simulator. Owns the one way data (hostnames, paths, keys) reaches a shell
// command or a generated script. Never build a command line by concatenating unquoted data.
// The simulator must not import src/, so this is its own small copy of the single-quote rule.

/** Quote one argument for POSIX sh: wrap in single quotes, and turn every ' into '\''. */
export function shQuote(value: string): string {
	if (value.includes('\0')) throw new Error('cannot quote a string containing NUL');
	if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
	return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quote every argument and join them with spaces. */
export function shJoin(args: readonly string[]): string {
	return args.map(shQuote).join(' ');
}
