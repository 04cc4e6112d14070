// What a failed provision leaves on the environment: status 'error', keeping the CT (the user can retry
// from the failed step or destroy). A failed create task has already removed the CT on Proxmox, which the
// environments layer's afterFailedCreate notices (the VMID is then forgotten).

import * as environments from '../environments';
import type { EnvironmentRow, FailureChanges } from '../environments';

export async function createPlatformFailure(row: EnvironmentRow): Promise<FailureChanges> {
	return environments.afterFailedCreate(row);
}
