// The one way a resolved config is printed as YAML for people: the editor's Resolved tab and the snapshot
// a provision run keeps. File modes print as the octal strings the config is written in (`'0644'`, not
// 420), and unset (null) keys are left out, so the text reads like a config a person would write and
// parses back to the same config. Shared by browser and server; pure.

import { stringify } from 'yaml';

/** A file mode (0o644) as the config writes it ('0644'); at least four digits, as `chmod` prints them. */
export function octalMode(mode: number): string {
	return mode.toString(8).padStart(4, '0');
}

export function configYaml(config: unknown): string {
	return stringify(config, replacer, { lineWidth: 0 });
}

// Called with each key and value, like JSON.stringify's replacer; returning undefined drops the key.
function replacer(this: unknown, key: unknown, value: unknown): unknown {
	if (value === null && !Array.isArray(this)) return undefined;
	if (key === 'mode' && typeof value === 'number' && Number.isInteger(value) && value >= 0) return octalMode(value);
	return value;
}
