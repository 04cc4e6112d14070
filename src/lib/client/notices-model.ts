// The toast list as plain data: what is shown, in what order, and how repeats collapse. The rune store
// (notices.svelte.ts) holds it and the timers; these rules stay testable without a browser.

export type NoticeTone = 'error' | 'success' | 'info';

export interface Notice {
	id: number;
	tone: NoticeTone;
	message: string;
	/** How many times this same message arrived while shown ("×3"). */
	count: number;
}

/** More than this and the oldest goes: a burst of failures must not bury the page. */
export const MAX_NOTICES = 4;

/** How long a non-error stays; errors stay until dismissed, so nobody misses one while looking away. */
export const AUTO_DISMISS_MS = 5000;

/** Add a notice; the same message with the same tone counts up instead of stacking a copy. */
export function addNotice(list: readonly Notice[], next: Omit<Notice, 'count'>): Notice[] {
	const same = list.find((n) => n.tone === next.tone && n.message === next.message);
	if (same) return [...list.filter((n) => n !== same), { ...same, count: same.count + 1 }];
	return [...list, { ...next, count: 1 }].slice(-MAX_NOTICES);
}

export function removeNotice(list: readonly Notice[], id: number): Notice[] {
	return list.filter((n) => n.id !== id);
}

export function autoDismissAfter(tone: NoticeTone): number | null {
	return tone === 'error' ? null : AUTO_DISMISS_MS;
}
