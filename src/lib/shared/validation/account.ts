// The rules for a username and a new password, shared by the setup and account forms (the input's
// minlength/maxlength and the hint) and the server (src/lib/server/auth/index.ts). Pure: no Node or browser API
// beyond TextEncoder, which both have.

export const USERNAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;
export const USERNAME_MAX = 64;
export const PASSWORD_MIN = 10;
/** bcrypt ignores bytes past 72, so a longer password would only seem stronger. */
export const PASSWORD_MAX = 72;

/**
 * How much of any password field the forms send and the actions read: the input cap of a field for an
 * existing password (sign-in, current password), which is only compared; a new one must also pass
 * PASSWORD_MAX. Loose on purpose, but bounded, so no request makes bcrypt or the checks read megabytes.
 */
export const PASSWORD_INPUT_MAX = 1024;

/** What the form shows under the password field before anything is typed. */
export const PASSWORD_HINT = `At least ${PASSWORD_MIN} characters.`;

export function usernameProblem(username: string): string | null {
	return USERNAME_RE.test(username) ? null : 'Use 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit.';
}

export function passwordProblem(password: string): string | null {
	if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
	if (new TextEncoder().encode(password).length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} bytes.`;
	return null;
}

/** A new account (or a new password for one): field -> message, empty when all is well. */
export function newAccountProblems(username: string, password: string, confirm: string): Record<string, string> {
	const errors: Record<string, string> = {};
	const user = usernameProblem(username);
	if (user) errors.username = user;
	const pass = passwordProblem(password);
	if (pass) errors.password = pass;
	else if (password !== confirm) errors.confirm = 'The two passwords differ.';
	return errors;
}
