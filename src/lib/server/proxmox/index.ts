// The Proxmox VE API client: the folder's entry, what the rest of Spyre imports as `$lib/server/proxmox`.
// One job per file: client, transport, wait, schemas, errors, tls, params, upid, interfaces.
export { ProxmoxClient, fromConfig } from './client';
export { getProxmox } from './instance';
export type { CallOptions, ProxmoxClientOptions, ProxmoxStats, WaitForIpOptions, WaitForTaskOptions } from './options';
export type { LxcSnapshot } from './schemas';
export { ProxmoxError, ProxmoxTaskError, isProxmoxError, isTaskSuccess, type ProxmoxErrorKind } from './errors';
export { parseUpid, isUpid } from './upid';
export { parsePropertyString, createLxcParams } from './params';
export { certFingerprint256, normaliseFingerprint, TlsPinError, type ProxmoxTlsOptions } from './tls';
