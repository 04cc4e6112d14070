import { pageRoutes } from '$lib/shared/routes';
import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';

// The Claude tab opens on the task history.
export const load: PageServerLoad = () => redirect(307, pageRoutes.claudeSessions());
