import { defineConfig } from 'vitest/config';
import { sveltekit } from '@sveltejs/kit/vite';

// Three projects: fast unit tests beside the code, integration tests that start real processes (the
// Proxmox simulator, sshd, tmux, the built server), and the security suite (same kind of processes,
// probed as an attacker would). Integration files run two at a time (on two cores that takes the project
// from about 11 to about 7 minutes; the races this exposed were fixed in the product and the tests, not
// hidden by running serially). Security files run one at a time, and `./setup.sh test` runs the two
// projects one after the other.
export default defineConfig({
	plugins: [sveltekit()],
	test: {
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					include: ['src/**/*.spec.ts', 'sim/**/*.spec.ts', 'bench/**/*.spec.ts'],
					environment: 'node'
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['tests/integration/**/*.test.ts'],
					environment: 'node',
					maxWorkers: 2,
					testTimeout: 60_000,
					hookTimeout: 120_000
				}
			},
			{
				extends: true,
				test: {
					// Attacker's-eye probes against the built server and the simulator (issue 10): every route
					// and socket without a session, cross-site requests, hostile input, secrets, sign-in abuse.
					name: 'security',
					include: ['tests/security/**/*.test.ts'],
					environment: 'node',
					fileParallelism: false,
					testTimeout: 120_000,
					hookTimeout: 120_000
				}
			}
		]
	}
});
