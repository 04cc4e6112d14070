import { authHistory, authStatus } from '$lib/server/claude/auth';
import { brokerView } from '$lib/server/claude/auth/broker-settings';
import type { PageServerLoad } from './$types';

// Browser-safe view of Claude Code's authentication, its history and how tasks reach Anthropic; never the
// credential.
export const load: PageServerLoad = async () => ({ auth: authStatus(), history: authHistory(50), broker: await brokerView() });
