// The webhook URL rule, pure: what Settings accepts as the one notification URL, and how it is shown
// again (its origin only: the path of a Slack webhook or an ntfy topic is the secret that lets anyone post).

import { SpyreError } from '../errors';

export const MAX_URL_LENGTH = 2000;

/** The URL to store, or a SpyreError('validation') that says what is wrong, on the `url` field. */
export function validateWebhookUrl(input: unknown): string {
	const fail = (message: string): never => {
		throw new SpyreError('validation', message, { fields: { url: message } });
	};
	if (typeof input !== 'string' || input.trim() === '') return fail('Enter the webhook URL (http:// or https://).');
	const text = input.trim();
	if (text.length > MAX_URL_LENGTH) return fail(`The webhook URL is longer than ${MAX_URL_LENGTH} characters.`);
	if (/\s/.test(text)) return fail('The webhook URL contains a space or a line break.');
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return fail('The webhook URL is not a URL (expected http://host/path or https://host/path).');
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(`Only http and https webhooks are sent (not ${url.protocol.replace(/:$/, '')}).`);
	// fetch refuses credentials in a URL, and they would show wherever the URL does: a token goes in the path.
	if (url.username || url.password) return fail('Put no user name or password in the webhook URL; receivers take a token in the path.');
	if (url.hash) return fail('The webhook URL has a #fragment, which is never sent; remove it.');
	return url.toString();
}

/** How a stored URL is shown: its origin, and `/…` when it has more (never the path itself). */
export function describeTarget(stored: string): string {
	const url = new URL(stored);
	return url.pathname === '/' && !url.search ? url.origin : `${url.origin}/…`;
}
