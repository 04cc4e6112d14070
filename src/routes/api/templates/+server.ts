import { json } from '@sveltejs/kit';
import { getConfig } from '$lib/server/env-config';
import { SpyreError } from '$lib/server/errors';
import { api, requireUser } from '$lib/server/http';
import { getProxmox } from '$lib/server/proxmox';
import { isProxmoxId, PROXMOX_ID_RULES } from '$lib/shared/validation/proxmox';
import type { RequestHandler } from './$types';

/** Container templates on a node (?node=, default the configured node) in the template storage. */
export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const cfg = getConfig().proxmox;
		const node = event.url.searchParams.get('node') || cfg.node;
		if (!isProxmoxId('node', node)) throw new SpyreError('bad_request', `node ${PROXMOX_ID_RULES.node}.`);
		const templates = await getProxmox().listTemplates(node, cfg.templateStorage);
		return json({
			node,
			storage: cfg.templateStorage,
			default: cfg.defaults.template ?? null,
			templates: templates.map((t) => ({ volid: t.volid, name: t.name, size: t.size }))
		});
	});
