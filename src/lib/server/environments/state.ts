// Writing an environment's row and telling browsers in the same breath: every lifecycle change goes
// through here, so no verb can update the DB and forget the live push (or the other way round).

import { SpyreError } from '../errors';
import * as events from '../events';
import { deleteEnvironment, getEnvironment, updateEnvironment, type EnvironmentRow } from './repo';
import { toView } from './view';

export type RowChanges = Parameters<typeof updateEnvironment>[1];

export function set(id: string, changes: RowChanges): EnvironmentRow {
	const row = updateEnvironment(id, changes);
	if (!row) throw new SpyreError('not_found', `Environment ${id} no longer exists.`);
	events.publish('env.updated', { environment: toView(row) });
	return row;
}

/** A new row (create, adopt): pushed so open lists show it at once. */
export function announce(row: EnvironmentRow): void {
	events.publish('env.updated', { environment: toView(row) });
}

export function removed(row: EnvironmentRow): void {
	deleteEnvironment(row.id);
	events.publish('env.removed', { id: row.id, hostname: row.hostname });
}

export function requireRow(id: string): EnvironmentRow {
	const row = getEnvironment(id);
	if (!row) throw new SpyreError('not_found', `Environment ${id} does not exist.`);
	return row;
}

export function requireVmid(row: EnvironmentRow): number {
	if (row.vmid === null) throw new SpyreError('conflict', `${row.hostname} has no container on Proxmox.`);
	return row.vmid;
}

/** How jobs name an environment in audit rows and busy messages. */
export function target(row: EnvironmentRow): string {
	return `${row.hostname} (${row.id})`;
}
