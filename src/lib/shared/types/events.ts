// Every event on the server bus (/api/events), by type, with the shape of its data. `publish` on the server
// and the browser's listeners both take their types from here, so a renamed field or a new event is checked
// by the compiler on both sides. Data here is shown to any signed-in user: never a secret.

import type { ClaudeAuthView } from './claude-auth';
import type { EnvironmentView, RunEventView, RunKind, RunStatus } from './environments';
import type { NoticeView } from './notify';

export interface ServerEventMap {
	/** An environment row changed (status, IP, error, …). */
	'env.updated': { environment: EnvironmentView };
	'env.removed': { id: string; hostname: string };
	/** One step or line of a run (create, provision, start, stop, destroy). */
	'env.log': RunEventView & { id: string; runId: number; runKind: RunKind };
	/** A run ended. */
	'env.run': { id: string; runId: number; runKind: RunKind; status: RunStatus; error: string | null };
	/** Whether Proxmox answers the status poller. */
	'proxmox.status': { ok: boolean; error: string | null };
	/** Something outside Spyre changed the cluster: lists should reload. */
	'inventory.changed': { at: number };
	'claude.auth': ClaudeAuthView;
	/** A declared service's health changed. */
	'service.health': { environmentId: string; name: string; health: 'unknown' | 'healthy' | 'unhealthy'; checkedAt: number };
	/** An attempt set or one of its attempts changed: its comparison page reloads it. */
	'attempts.updated': { setId: string };
	/** Something the owner should know: a task ended or failed, or needs them (budget, re-authentication). */
	notice: NoticeView;
}

export type ServerEventType = keyof ServerEventMap;

/** One event as it travels: a union over the map, so checking `type` narrows `data`. */
export type TypedServerEvent = { [K in ServerEventType]: { seq: number; ts: number; type: K; data: ServerEventMap[K] } }[ServerEventType];
