// In-process fan-out of one task's stream: stored events (in seq order, after they are committed), task
// updates (status, cost) and partial frames (live-partial.ts, never stored). The task socket subscribes
// here before it replays from the DB, so nothing published during the replay is lost (see ws/replay-live.ts).

import { singleton } from '../../singleton';
import type { TaskEvent, TaskPartialFrame, TaskView } from '$lib/shared/types/claude';

export type TaskMessage = { kind: 'event'; event: TaskEvent } | { kind: 'task'; task: TaskView } | { kind: 'partial'; message: TaskPartialFrame };
type Listener = (m: TaskMessage) => void;

const bus = singleton('claude.bus', () => new Map<string, Set<Listener>>());

export function subscribeTask(taskId: string, listener: Listener): () => void {
	let set = bus.get(taskId);
	if (!set) bus.set(taskId, (set = new Set()));
	set.add(listener);
	return () => {
		set.delete(listener);
		if (set.size === 0 && bus.get(taskId) === set) bus.delete(taskId);
	};
}

export function publishTask(taskId: string, message: TaskMessage): void {
	for (const listener of bus.get(taskId) ?? []) {
		try {
			listener(message);
		} catch (err) {
			console.error('[spyre] claude task listener failed:', (err as Error).message);
		}
	}
}

export function taskSubscriberCount(taskId: string): number {
	return bus.get(taskId)?.size ?? 0;
}
