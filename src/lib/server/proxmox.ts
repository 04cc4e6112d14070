// Moved to ./proxmox (one job per file: client, transport, wait, schemas, errors, tls, params, upid,
// interfaces); this barrel keeps `$lib/server/proxmox` imports working.
export { ProxmoxClient, fromConfig } from './proxmox/client';
export { getProxmox } from './proxmox/instance';
export type { CallOptions, ProxmoxClientOptions, ProxmoxStats, WaitForIpOptions, WaitForTaskOptions } from './proxmox/options';
export type { LxcSnapshot } from './proxmox/schemas';
export { ProxmoxError, ProxmoxTaskError, isProxmoxError, isTaskSuccess, type ProxmoxErrorKind } from './proxmox/errors';
export { parseUpid, isUpid } from './proxmox/upid';
export { parsePropertyString, createLxcParams } from './proxmox/params';
export { certFingerprint256, normaliseFingerprint, TlsPinError, type ProxmoxTlsOptions } from './proxmox/tls';
