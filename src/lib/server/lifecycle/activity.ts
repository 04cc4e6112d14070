// Who uses an environment, in memory: ongoing activity is held (an open terminal socket, a running Claude
// task or attempt, a gateway session) and let go; point activity is touched (a request to one of its
// services). Nothing here is persisted: after a restart every environment counts its idle time from Spyre's
// start (`createActivity`), because while Spyre was down nobody could be seen using it, which is not the
// same as nobody using it (tasks and their CTs keep running without Spyre). The clock is injected.

export const ACTIVITY_KINDS = ['terminal', 'task', 'gateway', 'service'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export interface Clock {
	now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Activity {
	/** Ongoing activity until the returned function is called (a second call does nothing). */
	hold(envId: string, kind: ActivityKind): () => void;
	/** Activity at this moment. */
	touch(envId: string, kind: ActivityKind): void;
	/** The kinds held right now, each once. */
	held(envId: string): ActivityKind[];
	/** Epoch ms of the newest activity, never before this process started counting. */
	lastActivity(envId: string): number;
	/** It was seen not running: its idle time counts from now once it runs again. */
	restart(envId: string): void;
	forget(envId: string): void;
}

export function createActivity(clock: Clock): Activity {
	const since = clock.now();
	const holds = new Map<string, Map<ActivityKind, number>>();
	const last = new Map<string, number>();
	const touch = (envId: string) => void last.set(envId, Math.max(last.get(envId) ?? since, clock.now()));
	return {
		hold(envId, kind) {
			const kinds = holds.get(envId) ?? new Map<ActivityKind, number>();
			holds.set(envId, kinds);
			kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
			touch(envId);
			let released = false;
			return () => {
				if (released) return;
				released = true;
				const n = (kinds.get(kind) ?? 1) - 1;
				if (n > 0) kinds.set(kind, n);
				else kinds.delete(kind);
				if (kinds.size === 0 && holds.get(envId) === kinds) holds.delete(envId);
				touch(envId);
			};
		},
		touch: (envId) => touch(envId),
		held: (envId) => [...(holds.get(envId)?.keys() ?? [])],
		lastActivity: (envId) => last.get(envId) ?? since,
		restart: (envId) => touch(envId),
		forget(envId) {
			holds.delete(envId);
			last.delete(envId);
		}
	};
}
