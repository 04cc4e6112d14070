// One running login: the CLI under a PTY, what it printed, the authorize URL(s) and state(s) it is
// waiting for, and its localhost port. Reports what it sees through callbacks; the state machine in
// index.ts decides what each observation means. Holds the CLI's output (which may contain the issued
// token) only in memory, and only until the flow ends.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ClaudeLoginFlow } from '$lib/shared/types/claude-auth';
import { findAuthorizeUrl, findOutcome, parseAuthorizeUrl, stripAnsi, type AuthorizeUrl } from './parse';
import { cliEnv, runPty, writeBrowserScript, type PtyRun } from './process';

export interface FlowCallbacks {
	/** The printed authorize URL (and the $BROWSER one, when it arrived) are known. */
	onUrl(): void;
	/** The CLI said the pasted code was not a full code; it keeps waiting. */
	onInvalidCode(): void;
	onExit(code: number): void;
}

export interface FlowOptions {
	kind: ClaudeLoginFlow;
	cliPath: string;
	configDir: string;
	/** A private directory for this flow's $BROWSER script (removed when the flow ends). */
	workDir: string;
	marker: string;
}

export class LoginFlow {
	readonly id = crypto.randomUUID();
	readonly kind: ClaudeLoginFlow;
	readonly startedAt = Date.now();
	readonly run: PtyRun;
	printed: AuthorizeUrl | null = null;
	localhost: AuthorizeUrl | null = null;
	#browserOut: string;
	#poll: NodeJS.Timeout;
	#mark = 0;
	#urlAnnounced = false;
	#workDir: string;

	constructor(
		o: FlowOptions,
		private readonly cb: FlowCallbacks
	) {
		this.kind = o.kind;
		this.#workDir = o.workDir;
		fs.rmSync(o.workDir, { recursive: true, force: true });
		const browser = writeBrowserScript(o.workDir);
		this.#browserOut = browser.out;
		fs.mkdirSync(o.configDir, { recursive: true, mode: 0o700 });
		const env = cliEnv({ configDir: o.configDir, marker: o.marker, browserScript: browser.script, browserOut: browser.out });
		const args = o.kind === 'setup_token' ? ['setup-token'] : ['auth', 'login'];
		this.run = runPty(o.cliPath, args, { cwd: o.workDir, env });
		this.run.onData(() => this.#look());
		this.#poll = setInterval(() => this.#readBrowserFile(), 200);
		this.#poll.unref();
		void this.run.exited.then(({ code }) => {
			clearInterval(this.#poll);
			this.#readBrowserFile();
			this.cb.onExit(code);
		});
	}

	/** States this flow accepts: the one in the printed URL and the one in the $BROWSER URL. */
	acceptsState(state: string): boolean {
		return [this.printed?.state, this.localhost?.state].some((s) => s !== undefined && safeEqual(s, state));
	}

	/** The CLI's localhost listener port, if it announced one through $BROWSER. */
	get port(): number | null {
		return this.localhost?.port ?? null;
	}

	/** Type `code#state` into the CLI, as a person at its prompt would (Enter is a carriage return). */
	submitCode(code: string, state: string): void {
		this.#mark = this.run.output().length;
		this.run.write(`${code}#${state}\r`);
	}

	markSubmission(): void {
		this.#mark = this.run.output().length;
	}

	/** Output since the CLI started, ANSI removed. May contain a secret: never log or return it. */
	text(): string {
		return stripAnsi(this.run.output());
	}

	dispose(): void {
		clearInterval(this.#poll);
		fs.rmSync(this.#workDir, { recursive: true, force: true });
	}

	#look(): void {
		const out = this.run.output();
		if (!this.printed) {
			const found = findAuthorizeUrl(out);
			if (found && found.port === null) this.printed = found;
			else if (found && !this.localhost) this.localhost = found;
		}
		this.#announce();
		const since = out.slice(this.#mark);
		if (this.#mark > 0 && findOutcome(since)?.kind === 'invalid_code') {
			this.#mark = out.length;
			this.cb.onInvalidCode();
		}
	}

	#readBrowserFile(): void {
		if (this.localhost) return;
		let text: string;
		try {
			text = fs.readFileSync(this.#browserOut, 'utf8');
		} catch {
			return;
		}
		for (const line of text.split('\n')) {
			const u = parseAuthorizeUrl(line);
			if (u && u.port !== null) {
				this.localhost = u;
				break;
			}
		}
		this.#announce();
	}

	#announce(): void {
		if (this.#urlAnnounced || !this.printed) return;
		this.#urlAnnounced = true;
		// The $BROWSER call usually lands first; give it a moment so the page shows both ways at once.
		setTimeout(
			() => {
				this.#readBrowserFile();
				this.cb.onUrl();
			},
			this.localhost ? 0 : 300
		).unref();
	}
}

function safeEqual(a: string, b: string): boolean {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export function flowWorkDir(dataDir: string): string {
	return path.join(dataDir, 'claude-auth', 'flow');
}
