// The targets a benchmark is judged on (issue 12): each figure printed beside its target with "met" or
// "not met", in the JSON report and as one stderr line per target so a run's verdict is readable at once.
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

export interface JudgedTarget extends Target {
	target: string;
	verdict: 'met' | 'not met';
}

export function judge(t: Target): JudgedTarget {
	const ok = t.op === '<=' ? t.figure <= t.limit : t.figure >= t.limit;
	const sign = (n: number) => (t.unit === 'ms' && n > 0 ? `+${n}` : `${n}`);
	const judged: JudgedTarget = { ...t, target: `${t.op} ${sign(t.limit)} ${t.unit}`, verdict: ok ? 'met' : 'not met' };
	log(`target: ${t.name} = ${sign(t.figure)} ${t.unit} (${t.versus}); target ${judged.target}: ${judged.verdict}`);
	return judged;
}
