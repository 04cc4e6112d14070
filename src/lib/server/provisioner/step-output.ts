// Running one command of a provision step and turning its outcome into a recorded result: output lines go
// to the run log (bounded: head live, tail at the end), a non-zero exit, a timeout or a lost connection
// becomes a StepFailedError carrying the last lines, and an abort ends the step as a cancel.

import type { Run } from '../jobs';
import type { SshTarget } from '../ssh';
import * as ssh from '../ssh';
import { SpyreError, messageOf } from '../errors';
import { createOutputLog } from './output-log';

/** Lines of output a failure carries (and shows the user) so they can see why without opening the log. */
export const FAILURE_TAIL_LINES = 50;

export class StepFailedError extends SpyreError {
	readonly lastLines: string[];
	constructor(message: string, lastLines: string[]) {
		super('bad_request', message);
		this.name = 'StepFailedError';
		this.lastLines = lastLines;
	}
}

/** Anything that can run a command with streamed output: the CT's SSH pool, or the Proxmox host's. */
export type CommandRunner = (cmd: string, opts: ssh.ExecStreamOptions) => Promise<ssh.ExecStreamResult>;

export function runnerFor(target: SshTarget): CommandRunner {
	return (cmd, opts) => ssh.execStream(target, cmd, opts);
}

export interface RunCommandOptions {
	/** What the user reads in the failure message, e.g. `Script build`. */
	label: string;
	timeoutMs: number;
	signal: AbortSignal;
	/** Helper commands of Spyre's own (mkdir, chmod): no duration line in the log. */
	quiet?: boolean;
	/** What the output of a failed run says went wrong, added to the failure message (e.g. the files apt could not fetch). */
	explain?: (lastLines: string[]) => string | null;
}

/** The log line that ends a command, with its duration (the provision benchmark reads these). */
export function finishedLine(label: string, ms: number, code: number | null): string {
	return `${label} finished in ${ms} ms (exit ${code ?? 'none'}).`;
}

export async function runRecorded(run: Run, runner: CommandRunner, cmd: string, opts: RunCommandOptions): Promise<void> {
	const log = createOutputLog((line) => run.event('output', line));
	let result: ssh.ExecStreamResult;
	const started = performance.now();
	try {
		result = await runner(cmd, { onLine: (line) => log.line(line), signal: opts.signal, timeoutMs: opts.timeoutMs });
	} catch (err) {
		log.finish();
		if (opts.signal.aborted) throw opts.signal.reason;
		throw new StepFailedError(`${opts.label} could not run: ${messageOf(err)}`, log.lastLines(FAILURE_TAIL_LINES));
	}
	log.finish();
	if (!opts.quiet) run.event('status', finishedLine(opts.label, Math.round(performance.now() - started), result.code));
	if (result.cancelled || opts.signal.aborted) throw opts.signal.reason ?? new Error('Cancelled.');
	const tail = log.lastLines(FAILURE_TAIL_LINES);
	if (result.timedOut) throw new StepFailedError(`${opts.label} timed out after ${Math.round(opts.timeoutMs / 1000)} s and was stopped.`, tail);
	if (result.code !== 0) {
		const why = result.code === null ? `was killed${result.signal ? ` (${result.signal})` : ''}` : `failed with exit code ${result.code}`;
		const explained = opts.explain?.(tail);
		throw new StepFailedError(`${opts.label} ${why}${explained ? `: ${explained}` : ''}.`, tail);
	}
}
