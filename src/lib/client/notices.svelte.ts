// The one error funnel of the browser: every failed action without an inline place for its message calls
// reportError(err, context), and the root layout's <Toasts> shows it. Form field problems still go on the
// form; this is for the rest (a Start that failed, a rename refused). Aborted requests are dropped here,
// so callers never need to check for them.

import { describeError } from './errors';
import { addNotice, autoDismissAfter, removeNotice, type Notice, type NoticeTone } from './notices-model';

class Notices {
	items = $state<Notice[]>([]);
	#nextId = 1;
	#timers = new Map<number, ReturnType<typeof setTimeout>>();

	push(tone: NoticeTone, message: string): void {
		const id = this.#nextId++;
		const before = new Set(this.items.map((n) => n.id));
		this.items = addNotice(this.items, { id, tone, message });
		// A repeat keeps its first id: restart its timer rather than start a second one.
		const shown = this.items.at(-1);
		if (!shown) return;
		for (const gone of before) if (!this.items.some((n) => n.id === gone)) this.#clearTimer(gone);
		const after = autoDismissAfter(tone);
		if (after === null) return;
		this.#clearTimer(shown.id);
		this.#timers.set(
			shown.id,
			setTimeout(() => this.dismiss(shown.id), after)
		);
	}

	dismiss(id: number): void {
		this.#clearTimer(id);
		this.items = removeNotice(this.items, id);
	}

	#clearTimer(id: number): void {
		const t = this.#timers.get(id);
		if (t) clearTimeout(t);
		this.#timers.delete(id);
	}
}

export const notices = new Notices();

/** Show a failed action's message (prefixed by `context`, e.g. the environment's name); aborts are ignored. */
export function reportError(err: unknown, context?: string): void {
	const message = describeError(err, context);
	if (message !== null) notices.push('error', message);
}

/** A short confirmation that goes away by itself. */
export function notify(message: string, tone: Exclude<NoticeTone, 'error'> = 'success'): void {
	notices.push(tone, message);
}
