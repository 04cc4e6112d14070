// Starting and stopping an environment's CT as background jobs. Start ends only when SSH works again at a
// verified address (it may change across a restart); stop tries a graceful shutdown before a hard stop.

import type { AuditActor } from '../audit';
import { startJob } from '../jobs';
import { liveStatusOr, markFailed } from './failure';
import { getEnvironment, type EnvironmentRow } from './repo';
import { requireRow, requireVmid, set, target } from './state';
import { startAndBringUp, stopCt } from './steps';

/** `detail` says why when nobody asked (a scheduled start), in the audit row. */
export interface PowerOptions {
	detail?: string;
	/** Spyre stops it on its own (lifecycle/): the lists show it as stopped for that reason. */
	stoppedBy?: 'idle' | 'schedule';
}

export function startEnvironment(id: string, actor: AuditActor, opts: PowerOptions = {}): EnvironmentRow {
	const row = requireRow(id);
	const vmid = requireVmid(row);
	startJob({
		key: row.id,
		kind: 'start',
		actor,
		action: 'environment.start',
		target: target(row),
		detail: opts.detail,
		work: async (run, signal) => {
			if (row.stopped_by) set(row.id, { stopped_by: null });
			await startAndBringUp(run, getEnvironment(row.id)!, signal, { label: `Starting CT ${vmid}` });
		},
		onFailure: markFailed(row.id, (r) => liveStatusOr(r, 'error'))
	});
	return getEnvironment(id)!;
}

export function stopEnvironment(id: string, actor: AuditActor, opts: PowerOptions = {}): EnvironmentRow {
	const row = requireRow(id);
	requireVmid(row);
	startJob({
		key: row.id,
		kind: 'stop',
		actor,
		action: 'environment.stop',
		target: target(row),
		detail: opts.detail,
		work: async (run, signal) => {
			set(row.id, { status: 'stopping', error: null, error_step: null });
			await stopCt(run, row, signal);
			set(row.id, { status: 'stopped', current_task: null, stopped_by: opts.stoppedBy ?? null });
			run.step('done', `${row.hostname} is stopped`);
		},
		onFailure: markFailed(row.id, (r) => liveStatusOr(r, 'error'))
	});
	return getEnvironment(id)!;
}
