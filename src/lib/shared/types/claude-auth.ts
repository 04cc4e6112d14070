// Browser-safe shapes of Claude Code authentication: the state, how the credential was obtained, its
// expiry and the history. Never a token, a code or a process id: these cross to the browser.

export const CLAUDE_AUTH_STATES = ['idle', 'starting', 'waiting', 'verifying', 'authenticated', 'expiring', 'expired', 'failed', 'cancelled'] as const;
export type ClaudeAuthState = (typeof CLAUDE_AUTH_STATES)[number];

/** `setup_token`: the 1-year token of `claude setup-token`; `login`: a full `claude auth login`; `api_key`: pasted. */
export type ClaudeAuthMethod = 'setup_token' | 'login' | 'api_key';
export type ClaudeLoginFlow = 'setup_token' | 'login';

export interface ClaudeAuthHistoryEntry {
	id: number;
	ts: number;
	event: string;
	fromState: ClaudeAuthState | null;
	toState: ClaudeAuthState | null;
	method: ClaudeAuthMethod | null;
	username: string | null;
	detail: string | null;
}

export interface ClaudeAuthView {
	state: ClaudeAuthState;
	/** How the stored credential (or the flow in progress) authenticates. */
	method: ClaudeAuthMethod | null;
	/** Whether Spyre holds a credential at all (it may be expired or failed). */
	hasCredential: boolean;
	/** Epoch ms; null for API keys (they do not expire by date). */
	expiresAt: number | null;
	lastError: string | null;
	/** While waiting: the page to open in the user's browser (shows code#state at the end). */
	authorizeUrl: string | null;
	/** While waiting: the variant whose redirect goes to the CLI's localhost listener, when known. */
	localhostAuthorizeUrl: string | null;
	/** While waiting: when the flow is cancelled by itself (epoch ms). */
	flowDeadline: number | null;
	/** What `claude --version` said on the Spyre host, if it ran. */
	cliVersion: string | null;
	checkedAt: number | null;
}

/** How tasks reach Anthropic: through the broker (its URL, or why it cannot serve), or the inject opt-in. */
export interface ClaudeBrokerView {
	url: string | null;
	problem: string | null;
	/** The owner opted in to injecting the long-lived credential into tasks (a warning on the page). */
	injectCredential: boolean;
}

/** The `claude.auth` event on the bus carries the view (it is browser-safe by construction). */
export type ClaudeAuthEvent = ClaudeAuthView;

/** Needs a person: the navigation bar shows a re-authenticate prompt. */
export function needsAttention(state: ClaudeAuthState): boolean {
	return state === 'expired' || state === 'failed' || state === 'expiring';
}

export const CLAUDE_AUTH_LABELS: Record<ClaudeAuthState, string> = {
	idle: 'Not signed in',
	starting: 'Starting the CLI',
	waiting: 'Waiting for you',
	verifying: 'Verifying',
	authenticated: 'Authenticated',
	expiring: 'Expiring soon',
	expired: 'Expired',
	failed: 'Failed',
	cancelled: 'Cancelled'
};

/** green / yellow / red / grey, for badges and the panel. */
export function authTone(state: ClaudeAuthState): 'ok' | 'warn' | 'bad' | 'none' {
	if (state === 'authenticated') return 'ok';
	if (state === 'expiring' || state === 'starting' || state === 'waiting' || state === 'verifying') return 'warn';
	if (state === 'expired' || state === 'failed') return 'bad';
	return 'none';
}

export const CLAUDE_AUTH_METHOD_LABELS: Record<ClaudeAuthMethod, string> = {
	setup_token: 'long-lived token (claude setup-token)',
	login: 'full login (claude auth login)',
	api_key: 'API key'
};
