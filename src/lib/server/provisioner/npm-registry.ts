// Points npm in a container at a registry mirror (provision.npm_registry, e.g. the demo's package proxy,
// the CTs' only way to the npm registry): two lines of Spyre's in npm's global config file, rewritten at
// every packages step and taken out again when no registry is configured. npm has no conf.d directory, so
// the file is shared with whatever else is in it: Spyre's marker line and the one line after it are
// Spyre's, every other line is left as it was.
// Which file: the one npm itself names (`npm config get globalconfig`) when npm is installed — Node's own
// layout and NodeSource's read PREFIX/etc/npmrc — else /etc/npmrc, where Debian's and Ubuntu's npm package
// read it (a config often installs npm later, in a script, from those packages).

import { npmRegistryProblem } from '../configs/rules';
import { SpyreError } from '../errors';
import { quote } from '../shell';

export const NPMRC_MARKER = '# Written by Spyre (provision.npm_registry); rewritten at every packages step.';
/** npm's global config file when npm is not installed yet: Debian's and Ubuntu's npm package read this one. */
export const DEFAULT_NPMRC = '/etc/npmrc';

/** Shell that makes npm use `registry` (or takes Spyre's registry line out again when null). */
export function npmRegistryCommand(registry: string | null): string {
	if (registry !== null) {
		// The config validator refuses anything else; checked again so this module is safe on its own.
		const problem = npmRegistryProblem(registry);
		if (problem) throw new SpyreError('validation', `Invalid npm registry: ${problem}.`);
	}
	const ours = registry === null ? '' : ` printf '%s\\n' ${quote(NPMRC_MARKER)} ${quote(`registry=${registry}`)};`;
	const others = `awk -v m=${quote(NPMRC_MARKER)} 'skip { skip = 0; next } $0 == m { skip = 1; next } { print }' "$f"`;
	return [
		// No update check: it would try the registry, which this very setting may be about to change.
		`f=$(command -v npm >/dev/null 2>&1 && npm --no-update-notifier config get globalconfig 2>/dev/null | tail -n 1)`,
		`case "$f" in /*) ;; *) f=${quote(DEFAULT_NPMRC)} ;; esac`,
		// Without a registry and without the file there is nothing of Spyre's to take out.
		...(registry === null ? ['[ -f "$f" ] || exit 0'] : []),
		'mkdir -p "$(dirname "$f")"',
		`{ if [ -f "$f" ]; then ${others}; fi;${ours} } > "$f.spyre-tmp"`,
		// Written in place (not renamed over), so the file keeps its owner and mode; empty means it was all ours.
		'if [ -s "$f.spyre-tmp" ]; then cat "$f.spyre-tmp" > "$f"; else rm -f "$f"; fi',
		'rm -f "$f.spyre-tmp"'
	].join('\n');
}
