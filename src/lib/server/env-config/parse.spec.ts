import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFiles, parse, problemsOf, SECRET } from './config.testkit';

const { dir, base, withSet } = configFiles();

describe('parseConfig: YAML shape', () => {
	it('malformed YAML is a ConfigError naming the file', () => {
		const err = problemsOf('server: [1, 2\nproxmox: {');
		expect(err.message).toMatch(/^\/etc\/spyre\/environment\.yaml is not valid YAML/);
		expect(err.problems.length).toBeGreaterThan(0);
		expect(err.problems.every((p) => p.startsWith('YAML syntax:'))).toBe(true);
	});

	it('duplicate keys are refused', () => {
		const err = problemsOf('server: {}\nserver: {}\n');
		expect(err.message).toMatch(/not valid YAML/);
	});

	it.each([
		['a list', '- a\n- b\n'],
		['a scalar', 'hello\n'],
		['a number', '42\n']
	])('the top level being %s is refused', (_what, text) => {
		const err = problemsOf(text);
		expect(err.message).toMatch(/top level must be a mapping/);
		expect(err.problems).toEqual(['(root): must be a mapping']);
	});

	it('an empty file lists every required section', () => {
		const err = problemsOf('');
		expect(err.problems).toEqual(expect.arrayContaining(['server: is required', 'proxmox: is required', 'ssh: is required']));
	});
});

describe('parseConfig: unknown keys', () => {
	it('warn instead of failing, at any depth, and are dropped from the result', () => {
		const cfg = parse(
			withSet((c) => {
				c.bogus = 1;
				c.proxmox.extra = { deep: true };
				c.proxmox.tls.whatever = 'x';
			})
		);
		expect(cfg.warnings).toEqual(expect.arrayContaining(['bogus: unknown key (ignored)', 'proxmox.extra: unknown key (ignored)', 'proxmox.tls.whatever: unknown key (ignored)']));
		expect(cfg.warnings).toHaveLength(3);
		const { warnings: _w, ...rest } = cfg;
		expect(JSON.stringify(rest)).not.toContain('bogus');
		expect(JSON.stringify(rest)).not.toContain('whatever');
		expect(JSON.stringify(rest)).not.toContain('deep');
	});

	it('do not hide real problems', () => {
		const err = problemsOf(
			withSet((c) => {
				c.bogus = 1;
				c.proxmox.url = 'http://x';
			})
		);
		expect(err.problems).toEqual(['proxmox.url: must be an https URL']);
	});

	it('a good config has no warnings', () => {
		expect(parse(base()).warnings).toEqual([]);
	});
});

describe('secrets never appear in errors', () => {
	const cases: Array<[string, unknown]> = [
		['another key is wrong', withSet((c) => (c.proxmox.url = 'http://x'))],
		['the secret itself has the wrong type', withSet((c) => (c.proxmox.token_secret = { value: SECRET }))],
		['the secret sits in a list', withSet((c) => (c.proxmox.token_secret = [SECRET]))],
		['the secret is an unknown key next to an error', withSet((c) => ((c.proxmox.token_secrets = SECRET), (c.server.port = 'x')))],
		['the YAML around the secret is broken', `proxmox:\n  token_secret: "${SECRET}\n  node: [pve\n`],
		['the YAML line with the secret has a tab error', `proxmox:\n\ttoken_secret: ${SECRET}\n`],
		['the secret is a duplicate key', `proxmox:\n  token_secret: ${SECRET}\n  token_secret: ${SECRET}\n`],
		['both secret and file are set', withSet((c) => (c.proxmox.token_secret_file = '/nonexistent/secret'))]
	];
	it.each(cases)('when %s', (_name, raw) => {
		const err = problemsOf(raw);
		expect(err.message).not.toContain(SECRET);
		expect(err.problems.join('\n')).not.toContain(SECRET);
		expect(String(err.stack)).not.toContain(SECRET);
	});

	it('the token secret file contents never appear when another problem is reported', () => {
		const file = path.join(dir, 'secret-for-leak-test');
		fs.writeFileSync(file, SECRET);
		const err = problemsOf(
			withSet((c) => {
				delete c.proxmox.token_secret;
				c.proxmox.token_secret_file = file;
				c.ssh.private_key_path = path.join(dir, 'missing-key');
			})
		);
		expect(err.message).not.toContain(SECRET);
	});
});
