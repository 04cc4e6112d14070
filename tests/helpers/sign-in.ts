// Signing in through the login form as a person does, for end-to-end tests: the form's labels, the button,
// and the redirect to `next` (a path on Spyre, optionally with a query).
import type { Page } from '@playwright/test';

export async function signInThroughForm(page: Page, baseUrl: string, user: string, password: string, next: string): Promise<void> {
	await page.goto(`${baseUrl}/login?next=${encodeURIComponent(next)}`);
	await page.getByLabel('Username').fill(user);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	const landing = new URL(next, baseUrl).pathname;
	await page.waitForURL((url) => url.pathname === landing);
}
