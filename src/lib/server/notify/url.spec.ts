import { describe, expect, it } from 'vitest';
import { describeTarget, validateWebhookUrl } from './url';

describe('validateWebhookUrl', () => {
	it.each([
		['https://ntfy.sh/spyre-alerts', 'https://ntfy.sh/spyre-alerts'],
		['  http://127.0.0.1:9000/hook  ', 'http://127.0.0.1:9000/hook'],
		['https://hooks.slack.com/services/T0/B0/xyz', 'https://hooks.slack.com/services/T0/B0/xyz']
	])('accepts %s', (input, stored) => expect(validateWebhookUrl(input)).toBe(stored));

	it.each([
		['', /Enter the webhook URL/],
		[42, /Enter the webhook URL/],
		['ntfy.sh/topic', /not a URL/],
		['ftp://example.com/x', /Only http and https.*ftp/],
		['javascript:alert(1)', /Only http and https/],
		['file:///etc/passwd', /Only http and https/],
		['https://user:pw@example.com/x', /no user name or password/],
		['https://example.com/a b', /space/],
		['https://example.com/x#frag', /fragment/],
		[`https://example.com/${'a'.repeat(2001)}`, /longer than 2000/]
	])('refuses %s with a clear message on the url field', (input, message) => {
		try {
			validateWebhookUrl(input);
			expect.unreachable();
		} catch (err) {
			expect((err as { code: string }).code).toBe('validation');
			expect((err as Error).message).toMatch(message);
			expect((err as { fields: Record<string, string> }).fields.url).toMatch(message);
		}
	});
});

describe('describeTarget', () => {
	it.each([
		['https://hooks.slack.com/services/T0/B0/secret', 'https://hooks.slack.com/…'],
		['http://127.0.0.1:9000/', 'http://127.0.0.1:9000'],
		['https://example.com/?token=abc', 'https://example.com/…']
	])('%s is shown as %s (never the path, which may be the secret)', (url, shown) => expect(describeTarget(url)).toBe(shown));
});

describe('an ntfy templating URL', () => {
	it('is kept as typed (braces in the query survive)', () => {
		const u = 'https://ntfy.sh/spyre?tpl=1&t={{.title}}&m={{.message}}';
		expect(validateWebhookUrl(u)).toBe(u);
	});
});
