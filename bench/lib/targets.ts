// The targets a benchmark is judged on (issue 12): each figure printed beside its target with "met" or
// "not met", in the JSON report and as one stderr line per target so a run's verdict is readable at once.
// A figure that is not a finite number (NaN: nothing measured; +Infinity: a miss decided it) is not met.
import { log } from './terminal-harness';

export interface Target {
	name: string;
	figure: number;
	unit: string;
	/** The figure must be at most (`<=`) or at least (`>=`) the limit. */
	op: '<=' | '>=';
	limit: number;
	/** What the figure is compared against, in words. */
	versus: string;
}

export interface JudgedTarget extends Omit<Target, 'figure'> {
	/** The figure; a string when it is not finite (JSON has no Infinity or NaN). */
	figure: number | string;
	target: string;
	/** `reported` when the target does not apply to this run (see `reportOnly`). */
	verdict: 'met' | 'not met' | 'reported';
	why?: string;
}

export function judge(t: Target): JudgedTarget {
	const ok = Number.isFinite(t.figure) && (t.op === '<=' ? t.figure <= t.limit : t.figure >= t.limit);
	const sign = (n: number) => (t.unit === 'ms' && n > 0 ? `+${n}` : `${n}`);
	const figure = Number.isFinite(t.figure) ? t.figure : String(t.figure);
	const judged: JudgedTarget = { ...t, figure, target: `${t.op} ${sign(t.limit)} ${t.unit}`, verdict: ok ? 'met' : 'not met' };
	log(`target: ${t.name} = ${sign(t.figure)} ${t.unit} (${t.versus}); target ${judged.target}: ${judged.verdict}`);
	return judged;
}

/** A figure beside a target that does not apply to this run (e.g. set for another scale): printed, not judged. */
export function reportOnly(t: Target, why: string): JudgedTarget {
	const figure = Number.isFinite(t.figure) ? t.figure : String(t.figure);
	log(`target: ${t.name} = ${t.figure} ${t.unit} (${t.versus}); target ${t.op} ${t.limit} ${t.unit}: reported, not judged (${why})`);
	return { ...t, figure, target: `${t.op} ${t.limit} ${t.unit}`, verdict: 'reported', why };
}
