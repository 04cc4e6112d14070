// The process-wide Proxmox client, built once from environment.yaml. Tests and benchmarks build their own
// with `new ProxmoxClient(...)` or `fromConfig(...)`.

import { getConfig } from '../env-config';
import { singleton } from '../singleton';
import { fromConfig, type ProxmoxClient } from './client';

export function getProxmox(): ProxmoxClient {
	return singleton('proxmox', () => fromConfig(getConfig().proxmox));
}
