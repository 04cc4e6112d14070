// Start and stop times on chosen weekdays (a config's `spec.lifecycle.schedule`), read in the server's time
// zone: the shape rules the config schema checks, and which scheduled moments fall in a span of time. Pure:
// no clock of its own and no I/O; the sweeper passes the span (its previous sweep, now].

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** "HH:MM", 24-hour, as the config writes it. */
export const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;

export interface ScheduleWindow {
	days: Weekday[];
	/** "HH:MM" local time to start at, or absent for no scheduled start. */
	start?: string;
	/** "HH:MM" local time to stop at, or absent for no scheduled stop. */
	stop?: string;
}

export interface ScheduledMoment {
	action: 'start' | 'stop';
	/** The moment as it happened (epoch ms). */
	at: number;
	/** The window's time as written ("19:00"), for the audit row. */
	time: string;
}

function minutesOf(time: string): number {
	return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/**
 * The scheduled starts and stops after `from` and at or before `to`, oldest first. A span longer than a
 * week is cut to its last week (a moment missed while Spyre was down is not worth replaying many times).
 * Days are walked in local time, so a change to or from daylight saving time is followed.
 */
export function momentsBetween(schedule: readonly ScheduleWindow[], from: number, to: number): ScheduledMoment[] {
	if (to <= from || schedule.length === 0) return [];
	const earliest = Math.max(from, to - 7 * 24 * 3600 * 1000);
	const day = new Date(earliest);
	day.setHours(0, 0, 0, 0);
	const found: ScheduledMoment[] = [];
	for (; day.getTime() <= to; day.setDate(day.getDate() + 1)) {
		const weekday = WEEKDAYS[day.getDay()];
		for (const w of schedule) {
			if (!w.days.includes(weekday)) continue;
			for (const action of ['start', 'stop'] as const) {
				const time = w[action];
				if (!time) continue;
				const m = minutesOf(time);
				const at = new Date(day.getFullYear(), day.getMonth(), day.getDate(), Math.floor(m / 60), m % 60).getTime();
				if (at > earliest && at <= to) found.push({ action, at, time });
			}
		}
	}
	return found.sort((a, b) => a.at - b.at);
}

/** The newest scheduled moment in the span: when a start and a stop both passed, the later one counts. */
export function lastMoment(schedule: readonly ScheduleWindow[], from: number, to: number): ScheduledMoment | null {
	return momentsBetween(schedule, from, to).at(-1) ?? null;
}
