// Claude Code authentication on the Spyre host: the folder's entry, what the rest of Spyre imports as
// `$lib/server/claude/auth`. One live state machine (idle → starting → waiting → verifying →
// authenticated / expiring / expired, or failed / cancelled; machine.ts, its rules pure in state.ts), the
// login flow that drives it (login.ts) and the stored credential's API (credential.ts). Every transition
// is a claude_auth_log row and a `claude.auth` event. Never returns, logs or publishes the credential:
// only getTaskCredential() hands it to server code that gives it to one task.

export { authHistory, authStatus, type AuthActor } from './machine';
export { acceptCallback, cancelLogin, initAuthState, relay, startLogin, stopAuth } from './login';
export {
	applyHealth,
	credentialProblem,
	getTaskCredential,
	healthInputs,
	recheckCredential,
	refreshFromCliFile,
	reportUpstreamRejection,
	saveApiKey,
	signOut,
	type TaskCredential
} from './credential';
