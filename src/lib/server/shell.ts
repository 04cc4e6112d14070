// The one helper that quotes data into shell commands. Every command Spyre builds from data (hostnames,
// window names, paths, prompts) goes through `quote`/`command`. POSIX single-quote style: inside single
// quotes nothing is special except the quote itself, which becomes '\''.

/** Quote one argument for a POSIX shell. Refuses NUL, which no shell argument can carry. */
export function quote(value: string | number): string {
	const s = String(value);
	if (s.includes('\0')) throw new TypeError('shell argument contains a NUL byte');
	if (s === '') return "''";
	if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
	return "'" + s.replace(/'/g, `'\\''`) + "'";
}

/** Build a command line from a program and its arguments, each quoted. */
export function command(program: string, ...args: Array<string | number>): string {
	return [program, ...args].map(quote).join(' ');
}
