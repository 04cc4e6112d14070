// tmux inside an environment: one session (default `spyre`) whose windows are the browser's terminal tabs.
// Owns the tmux configuration Spyre needs for a browser terminal, window create/list/rename/kill, attach
// (one short-lived grouped session per browser connection, so two browsers can look at different windows
// without fighting over the main session's current window) and history capture for reattach.
// Every argument goes through `$lib/server/shell`; window names from users are validated first.
// Used as `import * as tmux from '$lib/server/terminal/tmux-controller'`.

import { command } from '../shell';
import { SpyreError } from '../errors';
import { getSshPool, type PtyHandle, type SshPool, type SshTarget } from '../ssh';

/**
 * Spyre runs its own tmux server (socket name `spyre`, i.e. `tmux -L spyre`), so its server-wide options
 * (escape-time, terminal-overrides) never change a tmux the user runs by hand, and this config is read
 * when that server starts. Reach it from a shell in the environment with `tmux -L spyre attach -t spyre`.
 *
 * - `terminal-overrides ...smcup@:rmcup@`: tmux never switches the browser's terminal to the alternate
 *   screen, so lines that scroll off land in xterm.js's own scrollback.
 * - `mouse off`: xterm.js keeps native selection (copy works as in any terminal) and the wheel scrolls
 *   xterm.js's scrollback. With `mouse on`, tmux would swallow both (wheel enters copy-mode, selection
 *   needs Shift). The cost: programs inside tmux don't get mouse events.
 * - `status off`: the tabs are the browser's; a status line would also steal a row from every app.
 * - `history-limit 50000`: set before the first window exists, so every pane keeps it (replayed on reattach).
 * - `escape-time 0`: Esc must not lag in vim over a network link.
 * - `default-terminal xterm-256color`: the one terminfo entry every distribution ships (tmux-256color is
 *   missing from minimal images); TERM of the attach PTY is xterm-256color too.
 * - `window-size latest`: a window takes the size of the browser that used it last.
 */
export const TMUX_CONF = [
	'set -g default-terminal "xterm-256color"',
	"set -ga terminal-overrides ',xterm*:smcup@:rmcup@'",
	"set -ga terminal-overrides ',xterm*:RGB'",
	'set -g mouse off',
	'set -g status off',
	'set -g history-limit 50000',
	'set -s escape-time 0',
	'set -g focus-events on',
	'set -g set-clipboard off',
	'set -g window-size latest',
	'set -g renumber-windows off',
	'set -g update-environment ""',
	'set-environment -g LANG C.UTF-8',
	'set-environment -g COLORTERM truecolor',
	''
].join('\n');

export const DEFAULT_SESSION = 'spyre';
const SOCKET = 'spyre';
const CONF_DIR = '"$HOME/.config/spyre"';
const CONF_PATH = '"$HOME/.config/spyre/tmux.conf"';
const MAX_WINDOW_NAME = 64;

export interface TmuxOptions {
	/** Session name; tests use a unique one. Letters, digits, `_` and `-` only. */
	session?: string;
	pool?: SshPool;
	/** Per-command timeout (default 10 s). */
	timeoutMs?: number;
}

export interface TmuxWindow {
	index: number;
	name: string;
	active: boolean;
	/** tmux's stable window id, e.g. `@3`. */
	id: string;
}

export interface AttachOptions extends TmuxOptions {
	cols: number;
	rows: number;
}

export interface Attachment {
	pty: PtyHandle;
	/** The per-connection grouped session, killed on detach. */
	clientSession: string;
	/** Close the PTY and kill the per-connection session. The main session and its windows live on. */
	detach(): Promise<void>;
}

function sessionOf(opts: TmuxOptions): string {
	const s = opts.session ?? DEFAULT_SESSION;
	if (!/^[A-Za-z0-9_-]{1,64}$/.test(s)) throw new SpyreError('validation', 'tmux session names use letters, digits, _ and - only.');
	return s;
}

function poolOf(opts: TmuxOptions): SshPool {
	return opts.pool ?? getSshPool();
}

/** A tmux command line against Spyre's tmux server. Arguments are quoted; `;` separates tmux commands. */
function tmuxCmd(...args: Array<string | number>): string {
	return 'LANG=C.UTF-8 ' + command('tmux', '-u', '-L', SOCKET, ...args);
}

/** `=name:index`: `=` makes tmux match the session name exactly instead of by prefix. */
function windowTarget(session: string, index: number): string {
	return `=${session}:${index}`;
}

export function validateWindowIndex(index: unknown): number {
	const n = typeof index === 'string' && /^\d{1,6}$/.test(index) ? Number(index) : index;
	if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 999_999) {
		throw new SpyreError('validation', 'A window index is a whole number, 0 or more.', { fields: { index: 'invalid' } });
	}
	return n;
}

/** Window names: 1..64 characters, no control characters. Anything else (quotes, $, ;) is fine: it is quoted. */
export function validateWindowName(name: unknown): string {
	if (typeof name !== 'string') throw new SpyreError('validation', 'A window name must be text.', { fields: { name: 'invalid' } });
	const trimmed = name.trim();
	if (trimmed.length < 1 || [...trimmed].length > MAX_WINDOW_NAME) {
		throw new SpyreError('validation', `A window name has 1 to ${MAX_WINDOW_NAME} characters.`, { fields: { name: 'length' } });
	}
	if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(trimmed)) {
		throw new SpyreError('validation', 'A window name cannot contain control characters.', { fields: { name: 'invalid' } });
	}
	return trimmed;
}

/**
 * tmux expands formats in the names given to `new-window -n` and `rename-window` (`#(cmd)` even runs a
 * shell command), so a name must reach tmux as data: `##` is tmux's escape for a literal `#`. What tmux
 * stores and lists afterwards is the original name.
 */
export function tmuxLiteral(name: string): string {
	return name.replaceAll('#', '##');
}

async function run(target: SshTarget, cmd: string, opts: TmuxOptions, stdin?: string): Promise<string> {
	const r = await poolOf(opts).exec(target, cmd, { timeoutMs: opts.timeoutMs ?? 10_000, stdin });
	if (r.code !== 0) throw tmuxError(r.stderr, target);
	return r.stdout;
}

function tmuxError(stderr: string, target: SshTarget): SpyreError {
	const msg = stderr.trim().split('\n').at(-1) ?? '';
	if (/can't find (window|session|pane)|no such (window|session)|window not found|session not found|no server running|error connecting/i.test(msg)) {
		return new SpyreError('not_found', `tmux in environment ${target.envId}: ${msg || 'not found'}`);
	}
	if (/command not found|tmux: not found/i.test(msg)) {
		return new SpyreError('conflict', `tmux is not installed in environment ${target.envId}.`);
	}
	return new SpyreError('ssh', `tmux in environment ${target.envId} failed: ${msg || 'unknown error'}`);
}

const FORMAT = '#{window_index}\t#{window_id}\t#{window_active}\t#{window_name}';

function parseWindows(out: string): TmuxWindow[] {
	const windows: TmuxWindow[] = [];
	for (const line of out.split('\n')) {
		if (!line) continue;
		const [index, id, active, ...rest] = line.split('\t');
		if (!/^\d+$/.test(index) || !id?.startsWith('@')) continue;
		windows.push({ index: Number(index), id, active: active === '1', name: rest.join('\t') });
	}
	return windows.sort((a, b) => a.index - b.index);
}

// Concurrent ensureSession calls for the same environment and session share one run (coder's mutex).
const ensuring = new Map<string, Promise<void>>();

/** Make sure the session exists (with Spyre's tmux config applied); creates it with one window. */
export function ensureSession(target: SshTarget, opts: TmuxOptions = {}): Promise<void> {
	const session = sessionOf(opts);
	const key = `${target.envId}\0${target.host}\0${session}`;
	const pending = ensuring.get(key);
	if (pending) return pending;
	const has = tmuxCmd('has-session', '-t', `=${session}`);
	const script = [
		`mkdir -p ${CONF_DIR}`,
		`cat > ${CONF_PATH}`,
		// -f only matters when this starts the server; source-file refreshes a server started by an older Spyre.
		`if ! ${has} 2>/dev/null; then ${'LANG=C.UTF-8 ' + command('tmux', '-u', '-L', SOCKET)} -f ${CONF_PATH} ${command('new-session', '-d', '-s', session, '-x', 120, '-y', 40)} || ${has}; fi`,
		// Best effort: a server started elsewhere (another mount namespace) may not see this path.
		`{ ${tmuxCmd('source-file')} ${CONF_PATH} 2>/dev/null || true; }`
	].join(' && ');
	const p = run(target, `set -e; umask 077; ${script}`, opts, TMUX_CONF)
		.then(() => undefined)
		.finally(() => ensuring.delete(key));
	ensuring.set(key, p);
	return p;
}

export async function listWindows(target: SshTarget, opts: TmuxOptions = {}): Promise<TmuxWindow[]> {
	const session = sessionOf(opts);
	return parseWindows(await run(target, tmuxCmd('list-windows', '-t', `=${session}`, '-F', FORMAT), opts));
}

/** `cwd`: the window's shell starts there (tmux expands formats in it too, so it goes through tmuxLiteral). */
export async function createWindow(target: SshTarget, name?: string, opts: TmuxOptions & { cwd?: string } = {}): Promise<TmuxWindow> {
	const session = sessionOf(opts);
	const args: Array<string | number> = ['new-window', '-d', '-P', '-F', FORMAT, '-t', `=${session}:`];
	if (name !== undefined && name !== null && name !== '') args.push('-n', tmuxLiteral(validateWindowName(name)));
	if (opts.cwd) args.push('-c', tmuxLiteral(opts.cwd));
	const [window] = parseWindows(await run(target, tmuxCmd(...args), opts));
	if (!window) throw new SpyreError('ssh', `tmux did not report the new window in environment ${target.envId}.`);
	return window;
}

export async function renameWindow(target: SshTarget, index: number, name: string, opts: TmuxOptions = {}): Promise<void> {
	const session = sessionOf(opts);
	await run(target, tmuxCmd('rename-window', '-t', windowTarget(session, validateWindowIndex(index)), '--', tmuxLiteral(validateWindowName(name))), opts);
}

export async function killWindow(target: SshTarget, index: number, opts: TmuxOptions = {}): Promise<void> {
	const session = sessionOf(opts);
	await run(target, tmuxCmd('kill-window', '-t', windowTarget(session, validateWindowIndex(index))), opts);
}

/** Kill the session and every per-browser session grouped with it. Missing session is not an error. */
export async function killSession(target: SshTarget, opts: TmuxOptions = {}): Promise<void> {
	const session = sessionOf(opts);
	const list = await poolOf(opts).exec(target, tmuxCmd('list-sessions', '-F', '#{session_name}\t#{session_group}'), {
		timeoutMs: opts.timeoutMs ?? 10_000
	});
	if (list.code !== 0) return; // no server running: nothing to kill
	const names = list.stdout
		.split('\n')
		.map((l) => l.split('\t'))
		.filter(([name, group]) => name === session || group === session || (name?.startsWith(`${session}-c-`) ?? false))
		.map(([name]) => name);
	if (names.length === 0) return;
	const cmd = names.map((n) => `${tmuxCmd('kill-session', '-t', `=${n}`)} 2>/dev/null`).join('; ');
	await poolOf(opts).exec(target, `${cmd}; true`, { timeoutMs: opts.timeoutMs ?? 10_000 });
}

/**
 * The pane's history above the visible screen, with colours (-e) and wrapped lines joined (-J), as
 * terminal bytes (CRLF line ends). Empty when nothing has scrolled off. tmux redraws the visible part
 * itself on attach.
 */
export async function captureHistory(target: SshTarget, index: number, lines: number, opts: TmuxOptions = {}): Promise<string> {
	const session = sessionOf(opts);
	const n = Math.max(1, Math.min(50_000, Math.floor(lines)));
	const out = await run(target, tmuxCmd('capture-pane', '-p', '-e', '-J', '-S', -n, '-E', -1, '-t', windowTarget(session, validateWindowIndex(index))), opts);
	// -J keeps trailing spaces; they would wrap early in a narrower browser.
	const body = out.replace(/\n$/, '');
	if (body.trim() === '') return '';
	return (
		body
			.split('\n')
			.map((l) => l.replace(/ +$/, ''))
			.join('\x1b[0m\r\n') + '\x1b[0m\r\n'
	);
}

let clientSeq = 0;

/**
 * Attach a PTY to one window. Each browser connection gets its own session grouped with the main one
 * (`new-session -t main`): same windows, its own current window, so two browsers on two tabs don't yank
 * each other around. `destroy-unattached` removes it when the PTY goes away, even if Spyre dies;
 * `detach()` also kills it explicitly.
 */
export async function attachToWindow(target: SshTarget, index: number, opts: AttachOptions): Promise<Attachment> {
	const session = sessionOf(opts);
	const w = validateWindowIndex(index);
	const pool = poolOf(opts);
	const clientSession = `${session}-c-${process.pid.toString(36)}${(++clientSeq).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
	const cmd =
		'LANG=C.UTF-8 exec ' +
		command(
			'tmux',
			'-u',
			'-L',
			SOCKET,
			'new-session',
			'-t',
			`=${session}`,
			'-s',
			clientSession,
			';',
			// No -t: while the attach is still being set up, tmux cannot resolve the new session by name
			// ("No such session"), but it is the current session of the commands that follow.
			'set-option',
			'destroy-unattached',
			'on',
			';',
			'select-window',
			'-t',
			`:${w}`
		);
	const pty = await pool.openPty(target, cmd, { cols: opts.cols, rows: opts.rows, term: 'xterm-256color' });
	let detached = false;
	return {
		pty,
		clientSession,
		async detach() {
			if (detached) return;
			detached = true;
			pty.close();
			try {
				await pool.exec(target, `${tmuxCmd('kill-session', '-t', `=${clientSession}`)} 2>/dev/null; true`, {
					timeoutMs: 5000
				});
			} catch {
				// Connection gone: destroy-unattached cleans up when the tmux client's PTY closes.
			}
		}
	};
}
