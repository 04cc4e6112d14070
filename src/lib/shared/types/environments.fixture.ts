// For specs only (no app code imports it): one EnvironmentView with every field set, so a field added to
// the type is added here once rather than in each spec's own copy. A running 2-core CT with nothing live.

import type { EnvironmentView } from './environments';

export function environmentView(id: string, patch: Partial<EnvironmentView> = {}): EnvironmentView {
	return {
		id,
		hostname: id,
		node: 'pve',
		vmid: 100,
		origin: 'created',
		status: 'running',
		liveStatus: null,
		ip: null,
		template: null,
		cores: 2,
		memoryMb: 1024,
		diskGb: 8,
		cpu: null,
		memUsed: null,
		uptime: null,
		lock: null,
		error: null,
		errorStep: null,
		hostKeyPinned: false,
		stoppedBy: null,
		attemptSetId: null,
		createdAt: 0,
		updatedAt: 0,
		...patch
	};
}
