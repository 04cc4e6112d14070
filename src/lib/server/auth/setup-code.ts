// First boot: until the first admin exists, /setup belongs to whoever reaches it first. Unless Spyre is
// local (public URL loopback AND listening on loopback only, as `./setup.sh demo` is), /setup also asks
// for a one-time code that start-up prints to the log (the systemd journal), so only someone who can read
// the server's log can claim it. The code lives in memory only: a restart prints a new one.

import crypto from 'node:crypto';
import { getConfig } from '../env-config';
import { FailureLimiter } from './rate-limit';
import { isLoopbackHost } from '$lib/shared/validation/loopback';
import { singleton } from '../singleton';

const state = singleton('auth.setupCode', () => ({
	code: null as string | null,
	// 80 bits cannot be guessed anyway; the limiter keeps the log quiet and the compare cheap.
	attempts: new FailureLimiter({ max: 10, windowMs: 15 * 60 * 1000 })
}));

export function setupCodeRequired(): boolean {
	const publicHost = new URL(getConfig().server.publicUrl).hostname;
	// server.host already has $HOST applied (env-config/listen-env.ts): it is where server.js listens.
	const listen = getConfig().server.host;
	return !(isLoopbackHost(publicHost) && isLoopbackHost(listen));
}

function newCode(): string {
	// Crockford-style alphabet without look-alikes, in groups of four: easy to copy from a journal.
	const alphabet = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
	const bytes = crypto.randomBytes(16);
	const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
	return chars.match(/.{4}/g)!.join('-');
}

/** Print the code once (start-up, first boot only). */
export function announceSetupCode(log: (line: string) => void = console.log): void {
	if (!setupCodeRequired()) return;
	state.code ??= newCode();
	log(`spyre: first boot: open ${getConfig().server.publicUrl}/setup and enter the one-time setup code ${state.code}`);
}

export type SetupCodeCheck = { ok: true } | { ok: false; message: string };

/** Check the code typed at /setup; always ok when no code is required. */
export function checkSetupCode(input: string, ip: string): SetupCodeCheck {
	if (!setupCodeRequired()) return { ok: true };
	if (state.attempts.retryAfter(ip) > 0) return { ok: false, message: 'Too many wrong setup codes. Try again in 15 minutes.' };
	const code = state.code;
	const given = input.trim().toUpperCase().replace(/\s+/g, '');
	const a = crypto.createHash('sha256').update(given).digest();
	const b = crypto
		.createHash('sha256')
		.update(code ?? crypto.randomBytes(16).toString('hex'))
		.digest();
	if (code && crypto.timingSafeEqual(a, b)) return { ok: true };
	state.attempts.fail(ip);
	return { ok: false, message: code ? 'That is not the setup code from the server log.' : 'No setup code was printed. Restart Spyre and read its log.' };
}

/** The code is spent once the admin exists. */
export function forgetSetupCode(): void {
	state.code = null;
}
