import * as repos from '$lib/server/repos';
import type { PageServerLoad } from './$types';

// The stored repository credentials as Settings lists them; the secrets never leave the server.
export const load: PageServerLoad = () => ({ credentials: repos.listCredentials() });
