// Repository credentials as Settings shows them: never the secret, only what identifies it (a deploy
// key's public half and fingerprint, a token's user name) and when it was made and last used.

import type { CredentialKind } from '$lib/shared/validation/git';

export interface RepoCredentialView {
	name: string;
	kind: CredentialKind;
	/** token: the HTTPS user name. */
	username: string | null;
	/** ssh_key: the public half (`ssh-ed25519 AAAA…`), to add as a deploy key on the git server. */
	publicKey: string | null;
	fingerprint: string | null;
	/** ssh_key: how many known_hosts lines pin the git server's key (0: accept-new). */
	knownHostsLines: number;
	createdAt: number;
	updatedAt: number;
	lastUsedAt: number | null;
}
