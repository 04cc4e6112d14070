import { defineConfig } from '@playwright/test';

// End-to-end tests drive the built app (`node server.js`, run `npm run build` first) in Debian's Chromium:
// a test tool's own browser download does not work here. No webServer: each e2e file starts its own
// Spyre through tests/helpers/spyre.ts in beforeAll and stops it by PID in afterAll.
export default defineConfig({
	testDir: 'tests/e2e',
	testMatch: '*.e2e.ts',
	outputDir: 'test-results/artifacts',
	// Two files at a time: each file starts its own simulator and Spyre (tests in a file stay in order).
	workers: 2,
	fullyParallel: false,
	forbidOnly: !!process.env.CI,
	retries: 0,
	timeout: 30_000,
	expect: { timeout: 5_000 },
	reporter: [['list']],
	use: {
		headless: true,
		screenshot: 'only-on-failure',
		trace: 'retain-on-failure',
		viewport: { width: 1280, height: 800 },
		launchOptions: {
			executablePath: '/usr/bin/chromium',
			args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
		}
	}
});
