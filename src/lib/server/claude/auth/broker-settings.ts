// The owner-facing view of how tasks get their Claude access (the broker's URL or why it cannot serve, and
// the inject opt-in), and the one audited way to change the opt-in. Browser-safe: no credential, no token.

import { audited, type AuditActor } from '../../audit';
import { brokerProblem, startBroker } from '../broker';
import { injectCredentialEnabled, setInjectCredential } from './inject-setting';
import type { ClaudeBrokerView } from '$lib/shared/types/claude-auth';

export async function brokerView(): Promise<ClaudeBrokerView> {
	const problem = brokerProblem();
	let url: string | null = null;
	if (!problem) url = await startBroker().catch(() => null);
	return { url, problem: brokerProblem(), injectCredential: injectCredentialEnabled() };
}

export function setInjection(enabled: boolean, actor: AuditActor): Promise<ClaudeBrokerView> {
	return audited(
		actor,
		'claude.inject_credential',
		null,
		async () => {
			setInjectCredential(enabled);
			return brokerView();
		},
		() => (enabled ? 'on: the long-lived credential is injected into tasks' : 'off: tasks reach Anthropic through the broker')
	);
}
