// The login stand-in (tests/fixtures/claude-login-standin.mjs) replays what an older CLI printed; this file
// pins the same outputs of the CLI the project really ships (the pinned devDependency) through Spyre's own
// parsers, so a CLI upgrade that changes `--version` or `auth status` fails here rather than in production.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthStatus } from '../../src/lib/server/claude/auth/parse';
import { cliEnv, runCli } from '../../src/lib/server/claude/auth/process';
import { claudeVersion, CLAUDE_PACKAGE_DIR } from '../helpers/claude-cli';

const REAL_CLI = path.join(CLAUDE_PACKAGE_DIR, '../.bin/claude');
const STANDIN = path.resolve('tests/fixtures/claude-login-standin.mjs');
let configDir: string;

beforeAll(() => {
	configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-cli-real-'));
});
afterAll(() => fs.rmSync(configDir, { recursive: true, force: true }));

const env = () => cliEnv({ configDir, marker: 'cli-real-test', extra: { HOME: configDir } });

describe('the pinned claude CLI through Spyre’s parsers', () => {
	it('--version: exit 0, first line "<package version> (Claude Code)"', async () => {
		const r = await runCli(REAL_CLI, ['--version'], env(), 30_000);
		expect(r.code, r.stderr).toBe(0);
		expect(r.stdout.trim().split('\n')[0]).toBe(`${claudeVersion()} (Claude Code)`);
	});

	it('logged-out auth status: exit 1 and JSON that parseAuthStatus reads as logged out, method none', async () => {
		const r = await runCli(REAL_CLI, ['auth', 'status'], env(), 30_000);
		expect(r.code).toBe(1);
		expect(parseAuthStatus(r.stdout)).toEqual({ loggedIn: false, authMethod: 'none' });
	});

	it('the login stand-in answers the same two commands in the same shapes', async () => {
		const version = await runCli(process.execPath, [STANDIN, '--version'], env(), 30_000);
		expect(version.code).toBe(0);
		expect(version.stdout.split('\n')[0]).toMatch(/^\d+\.\d+\.\d+ \(Claude Code\)/);
		const status = await runCli(process.execPath, [STANDIN, 'auth', 'status'], env(), 30_000);
		expect(status.code).toBe(1);
		expect(parseAuthStatus(status.stdout)).toEqual({ loggedIn: false, authMethod: 'none' });
	});
});
