import { defineConfig } from 'vitest/config';
import { sveltekit } from '@sveltejs/kit/vite';

// Three projects: fast unit tests beside the code, integration tests that start real processes (the
// Proxmox simulator, sshd, tmux, the built server), and the security suite (same kind of processes,
// probed as an attacker would). Integration and security files run one at a time (two integration files at
// a time saved 3 minutes, but load-bound tests missed their marks in one run of two), and `./setup.sh test`
// runs the two projects one after the other: side by side, timing-bound tests of both missed their marks.
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
					fileParallelism: false,
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
