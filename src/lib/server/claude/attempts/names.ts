// The hostnames of an attempt set's clones: `<source>-a1` … `<source>-aN`, or the next letter's series
// (`-b1` …) when one of them is taken (a clone kept from an earlier set keeps its name). Pure; the one
// hostname rule ($lib/shared/validation/environment) decides what is valid.

import { hostnameProblem } from '$lib/shared/validation/environment';

const SERIES = 'abcdefghijklmnopqrstuvwxyz';

/** `count` free hostnames derived from `base`, or null when every series is taken. */
export function attemptHostnames(base: string, count: number, taken: (hostname: string) => boolean): string[] | null {
	// Room for `-<letter><n>` (n ≤ 8) within a 63-character label, never ending in `-`.
	const stem = base.slice(0, 63 - 3).replace(/-+$/, '');
	for (const letter of SERIES) {
		const names = Array.from({ length: count }, (_, i) => `${stem}-${letter}${i + 1}`);
		if (names.every((h) => !taken(h) && hostnameProblem(h) === null)) return names;
	}
	return null;
}
