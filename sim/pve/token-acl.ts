// The API token's privileges. The simulator's token holds every privilege on `/` (the role Spyre asks
// for and more) except those a test revoked through the control endpoint (`revokePrivilege`), so routes
// can show Proxmox's 403s. Texts: pve-access-control RPCEnvironment check_full ("Permission check failed
// (PATH, PRIV)") and pve-common PVE::Exception raise_perm_exc (bare "Permission check failed").
import type { Faults } from './control';
import { ApiError } from './http';

/** ACLs propagate down the tree: a privilege revoked on /vms is gone on /vms/100 too. */
export function hasPrivilege(f: Faults, path: string, privilege: string): boolean {
	return !f.revokedPrivileges.some((r) => r.privilege === privilege && (r.path === undefined || r.path === '/' || path === r.path || path.startsWith(`${r.path}/`)));
}

export function checkPrivilege(f: Faults, path: string, privilege: string): void {
	if (!hasPrivilege(f, path, privilege)) throw new ApiError(403, `Permission check failed (${path}, ${privilege})`);
}

/** An `or` of permission checks that all failed: Proxmox names neither path nor privilege. */
export const permissionDenied = (what?: string): ApiError => new ApiError(403, `Permission check failed${what ? ` (${what})` : ''}`);
