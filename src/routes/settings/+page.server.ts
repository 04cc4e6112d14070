import { getConfig } from '$lib/server/env-config';
import * as audit from '$lib/server/audit';
import { pendingAuthFailures } from '$lib/server/auth/audit';
import * as notify from '$lib/server/notify';
import { gatewayInfo } from '$lib/server/gateway';
import type { PageServerLoad } from './$types';

// Shows where Spyre points and what happened recently. Never the token secret or key contents.
export const load: PageServerLoad = () => {
	const cfg = getConfig();
	return {
		config: {
			file: cfg.configPath,
			publicUrl: cfg.server.publicUrl,
			dataDir: cfg.server.dataDir,
			proxmoxUrl: cfg.proxmox.url,
			node: cfg.proxmox.node,
			tokenId: cfg.proxmox.tokenId,
			tls: cfg.proxmox.tls.fingerprint ? `pinned fingerprint ${cfg.proxmox.tls.fingerprint}` : cfg.proxmox.tls.caFile ? `CA file ${cfg.proxmox.tls.caFile}` : 'system CAs',
			storage: cfg.proxmox.storage,
			templateStorage: cfg.proxmox.templateStorage,
			bridge: cfg.proxmox.bridge,
			network: cfg.proxmox.network.mode,
			sshUser: cfg.ssh.user,
			sshPort: cfg.ssh.port,
			sshPublicKey: cfg.ssh.publicKey
		},
		audit: audit.recent(50),
		pendingSignIns: pendingAuthFailures(),
		notify: notify.settingsView(),
		gateway: gatewayInfo()
	};
};
