// For specs only (no app code imports it): one environments row with every column set, so a column added
// by a migration is added here once rather than in each spec's own copy. A stopped 1-core CT, never run.

import type { EnvironmentRow } from './repo';

export function environmentRow(id: string, patch: Partial<EnvironmentRow> = {}): EnvironmentRow {
	return {
		id,
		hostname: id,
		node: 'pve',
		vmid: null,
		origin: 'created',
		status: 'stopped',
		template: null,
		cores: 1,
		memory_mb: 512,
		disk_gb: 4,
		ip: null,
		config_name: null,
		host_key_fingerprint: null,
		current_task: null,
		error: null,
		error_step: null,
		stopped_by: null,
		created_by: null,
		attempt_set_id: null,
		created_at: 1,
		updated_at: 1,
		...patch
	};
}
