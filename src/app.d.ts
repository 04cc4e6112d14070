// See https://svelte.dev/docs/kit/types#app.d.ts
import type { SessionUser } from '$lib/server/auth';

declare global {
	namespace App {
		interface Error {
			message: string;
			errorId?: string;
			code?: string;
		}
		interface Locals {
			user: SessionUser | null;
			/** Hash of the current session token, for logout. Never the token itself. */
			sessionHash: string | null;
		}
	}
}

declare module '*.sql?raw' {
	const text: string;
	export default text;
}

export {};
