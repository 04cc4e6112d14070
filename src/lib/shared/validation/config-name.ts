// The rule for a config's name, shared by the new-config dialog and the config store on the server: a
// slug that is also a file name (`NAME.yaml`) and cannot shadow an API path of its own.

/** Lowercase letters, digits and hyphens, starting with a letter or digit, at most 63. */
export const CONFIG_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Names that are API paths of their own (`/api/configs/check`, `/configs/new`), so no config may take them. */
export const RESERVED_CONFIG_NAMES: ReadonlySet<string> = new Set(['check', 'schema', 'new']);

/** The inline message for a config name, or null when it is fine (`taken`: names already in use). */
export function configNameProblem(name: string, taken: readonly string[] = []): string | null {
	if (!name) return 'Enter a name.';
	if (name.length > 63) return 'A name has at most 63 characters.';
	if (!CONFIG_NAME_RE.test(name)) return 'Use lowercase letters, digits and hyphens, starting with a letter or digit.';
	if (RESERVED_CONFIG_NAMES.has(name)) return `“${name}” is reserved; choose another name.`;
	if (taken.includes(name)) return `A config named ${name} already exists.`;
	return null;
}
