import * as configs from '$lib/server/configs';
import type { PageServerLoad } from './$types';

// The signed-in gate in hooks.server.ts already ran; listing only reads files.
export const load: PageServerLoad = ({ depends }) => {
	depends('app:configs');
	return { configs: configs.listConfigs() };
};
