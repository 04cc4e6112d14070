// The config's check (`spec.claude.check`), run in an attempt's clone after its task: as the config's user,
// in the task's repository (else its working directory). What it prints is the CT's, so hostile: only the
// last lines are kept, each cut short, control characters removed, and shown as text. Its exit code is
// the result; a timeout or a lost connection is recorded as no exit code with the reason as the last line.

import * as ssh from '../../ssh';
import type { SshTarget } from '../../ssh';
import { quote } from '../../shell';
import { messageOf } from '../../errors';
import { asUser } from '../../provisioner/commands';
import { createOutputLog } from '../../provisioner/output-log';
import type { AttemptCheck } from '$lib/shared/types/attempts';
import type { EnvironmentConfig } from '$lib/shared/types/configs';

export const CHECK_LIMITS = { lines: 40, lineChars: 400, defaultTimeoutS: 600 };

export interface CheckSpec {
	run: string;
	user: string | null;
	timeoutMs: number;
}

type ConfigCheck = NonNullable<NonNullable<EnvironmentConfig['spec']['claude']>['check']>;

export function checkSpec(check: ConfigCheck | undefined | null): CheckSpec | null {
	if (!check) return null;
	return { run: check.run, user: check.user, timeoutMs: (check.timeout ?? CHECK_LIMITS.defaultTimeoutS) * 1000 };
}

/** The command line: into `dir`, then the check through sh, as its user. */
export function checkCommand(spec: CheckSpec, dir: string): string {
	return asUser(`cd ${quote(dir)} && exec sh -c ${quote(spec.run)}`, spec.user);
}

/** A CT's line as Spyre keeps it: no control characters (tabs become spaces), at most `lineChars`. */
export function cleanLine(line: string): string {
	const text = line.replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '');
	return text.length > CHECK_LIMITS.lineChars ? `${text.slice(0, CHECK_LIMITS.lineChars)}…` : text;
}

export async function runCheck(target: SshTarget, spec: CheckSpec, dir: string, signal?: AbortSignal): Promise<AttemptCheck> {
	const log = createOutputLog(() => {}, { headLines: 0, tailLines: CHECK_LIMITS.lines, maxLineChars: CHECK_LIMITS.lineChars * 4 });
	const started = Date.now();
	try {
		const r = await ssh.execStream(target, checkCommand(spec, dir), { onLine: (line) => log.line(line), signal, timeoutMs: spec.timeoutMs, maxBufferBytes: 4096 });
		const lines = log.lastLines(CHECK_LIMITS.lines).map(cleanLine);
		if (r.timedOut) lines.push(`Spyre: the check timed out after ${Math.round(spec.timeoutMs / 1000)} s and was stopped.`);
		return { exitCode: r.timedOut || r.cancelled ? null : r.code, lines, durationMs: Date.now() - started };
	} catch (err) {
		return { exitCode: null, lines: [...log.lastLines(CHECK_LIMITS.lines).map(cleanLine), `Spyre: the check could not run: ${messageOf(err)}`], durationMs: Date.now() - started };
	}
}
