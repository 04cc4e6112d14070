// A form's "sent, waiting for the answer" state for SvelteKit's `enhance`: busy from the submit until the
// action's answer is applied, so the submit button can say so and cannot send twice. The one flow for
// every enhanced form (sign-in, setup, password change, SSH keys).

import type { SubmitFunction } from '@sveltejs/kit';

export interface Submitting {
	readonly busy: boolean;
	/** Pass to `use:enhance`. */
	readonly submit: SubmitFunction;
}

/**
 * `reset`: clear the form after a successful answer (a password change, an added key); false keeps what
 * was typed (sign-in and setup answer with their own page or a redirect).
 */
export function submitting({ reset }: { reset: boolean }): Submitting {
	let busy = $state(false);
	const submit: SubmitFunction = () => {
		busy = true;
		return async ({ update }) => {
			try {
				await update({ reset });
			} finally {
				busy = false;
			}
		};
	};
	return {
		get busy() {
			return busy;
		},
		submit
	};
}
