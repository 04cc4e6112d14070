import { authHistory, authStatus } from '$lib/server/claude/auth';
import type { PageServerLoad } from './$types';

// Browser-safe view of Claude Code's authentication and its history; never the credential.
export const load: PageServerLoad = () => ({ auth: authStatus(), history: authHistory(50) });
