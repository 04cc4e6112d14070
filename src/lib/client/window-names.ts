// The name a new terminal window gets. tmux names an unnamed window after its program, so every new tab
// was called "bash"; a numbered name tells tabs apart (a person can still rename one). Pure.

/** "shell N" for the first N ≥ the new tab's position that no window has yet. */
export function nextWindowName(existing: readonly string[]): string {
	const taken = new Set(existing);
	for (let n = Math.max(2, existing.length + 1); ; n++) {
		const name = `shell ${n}`;
		if (!taken.has(name)) return name;
	}
}
