// "Did you mean" for unknown keys: the known key at the smallest edit distance, if it is close enough to
// be a plausible typo (at most a third of the word, minimum 1, maximum 3 edits).

/** Levenshtein distance, two rows of memory. */
export function levenshtein(a: string, b: string): number {
	if (a === b) return 0;
	let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
	for (let i = 1; i <= a.length; i++) {
		const cur = [i];
		for (let j = 1; j <= b.length; j++) {
			cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
		}
		prev = cur;
	}
	return prev[b.length];
}

export function nearest(word: string, candidates: readonly string[]): string | null {
	const budget = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
	let best: string | null = null;
	let bestDistance = Infinity;
	for (const candidate of candidates) {
		// Case-only differences (apiversion) always count as close.
		const d = candidate.toLowerCase() === word.toLowerCase() ? 0.5 : levenshtein(word, candidate);
		if (d < bestDistance) {
			best = candidate;
			bestDistance = d;
		}
	}
	return bestDistance <= budget ? best : null;
}
