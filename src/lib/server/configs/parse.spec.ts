import { describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES } from '$lib/shared/types/configs';
import { parseLayer } from './parse';
import { HEAD } from './spec-helpers';

const problem = (text: string, path: string) => parseLayer(text).problems.find((p) => p.path === path);

describe('positions', () => {
	it('points at a nested value with 1-based line and column, and its end', () => {
		const text = `${HEAD}spec:\n  platform:\n    cores: lots\n`;
		//                                                 line 5, col 12..16
		expect(problem(text, 'spec.platform.cores')).toEqual({
			path: 'spec.platform.cores',
			message: 'must be a number, got text',
			line: 5,
			col: 12,
			endLine: 5,
			endCol: 16,
			severity: 'error'
		});
	});

	it('points at a field inside a list item', () => {
		const text = [HEAD + 'spec:', '  provision:', '    files:', '      - path: /etc/ok', '        content: fine', '      - path: /etc/x', '        content: y', '        mode: rwx', ''].join('\n');
		const p = problem(text, 'spec.provision.files[1].mode');
		expect(p).toMatchObject({ line: 10, col: 15, endLine: 10, endCol: 18 });
		expect(p?.message).toMatch(/octal mode/);
	});

	it('points at a list item itself (packages)', () => {
		const text = `${HEAD}spec:\n  provision:\n    packages:\n      - git\n      - "curl; rm -rf /"\n`;
		expect(problem(text, 'spec.provision.packages[1]')).toMatchObject({ line: 7, col: 9 });
	});

	it('points at the parent key for a missing required field', () => {
		const text = `${HEAD}spec:\n  services:\n    - name: web\n`;
		const p = problem(text, 'spec.services[0].port');
		expect(p?.message).toBe('is required');
		expect(p).toMatchObject({ line: 5, col: 7 });
	});

	it('underlines only the first line of a block value with the wrong type', () => {
		const text = `${HEAD}spec:\n  provision:\n    packages:\n      git: true\n`;
		const p = problem(text, 'spec.provision.packages');
		expect(p?.message).toBe('must be a list, got a mapping');
		expect(p).toMatchObject({ line: 5, col: 5, endLine: 5 });
	});

	it('reports apiVersion and kind as required at the top', () => {
		const r = parseLayer('spec: {}\n');
		expect(r.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['apiVersion', 'kind']));
		expect(r.layer).toBeNull();
	});

	it('rejects a wrong apiVersion with the value expected', () => {
		expect(problem('apiVersion: spyre/v2\nkind: Environment\n', 'apiVersion')).toMatchObject({ message: "must be 'spyre/v1'", line: 1, col: 13 });
	});
});

describe('unknown keys', () => {
	it('are errors at the key, with the nearest known key', () => {
		const text = `${HEAD}spec:\n  platform:\n    cores: 2\n    memroy: 1024\n`;
		expect(problem(text, 'spec.platform.memroy')).toEqual({
			path: 'spec.platform.memroy',
			message: "unknown key 'memroy'; did you mean 'memory'?",
			line: 6,
			col: 5,
			endLine: 6,
			endCol: 11,
			severity: 'error'
		});
	});

	it('in a list item and at the top level', () => {
		const text = `${HEAD}spec:\n  provision:\n    users:\n      - name: dev\n        group: [sudo]\nextend: base\n`;
		expect(problem(text, 'spec.provision.users[0].group')?.message).toBe("unknown key 'group'; did you mean 'groups'?");
		expect(problem(text, 'extend')?.message).toBe("unknown key 'extend'; did you mean 'extends'?");
	});

	it('list the allowed keys when nothing is close', () => {
		const text = `${HEAD}spec:\n  features: {}\n`;
		expect(problem(text, 'spec.features')?.message).toBe("unknown key 'features'; allowed here: platform, helper_script, provision, services, repos, claude, lifecycle");
	});
});

describe('YAML problems', () => {
	it('syntax errors carry a position and stop validation', () => {
		const r = parseLayer(`${HEAD}spec:\n  platform: [1, 2\n  cores: 2\n`);
		expect(r.layer).toBeNull();
		expect(r.problems.length).toBeGreaterThan(0);
		expect(r.problems[0].message).toMatch(/^YAML: /);
		expect(r.problems[0].line).toBeGreaterThanOrEqual(4);
		expect(r.problems[0].col).toBeGreaterThanOrEqual(1);
	});

	it('a bad indentation is a syntax error with its line', () => {
		const r = parseLayer(`${HEAD}spec:\n  platform:\n    cores: 2\n   memory: 4\n`);
		expect(r.problems.some((p) => p.message.startsWith('YAML') && p.line === 6)).toBe(true);
	});

	it('duplicate keys are reported at the second key, and checking goes on', () => {
		const r = parseLayer(`${HEAD}spec:\n  platform:\n    cores: 2\n    cores: 4\n    tagz: []\n`);
		const dup = r.problems.find((p) => p.message.startsWith('duplicate key'));
		expect(dup).toMatchObject({ line: 6, col: 5, severity: 'error' });
		expect(r.problems.some((p) => p.path === 'spec.platform.tagz')).toBe(true);
		expect(r.layer).toBeNull();
	});

	it('refuses an alias bomb without expanding it', () => {
		const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
		for (let i = 1; i < 9; i++) {
			const prev = String.fromCharCode(96 + i);
			const cur = String.fromCharCode(97 + i);
			levels.push(`${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
		}
		const started = performance.now();
		const r = parseLayer(`${levels.join('\n')}\n`);
		expect(performance.now() - started).toBeLessThan(1000);
		expect(r.layer).toBeNull();
		expect(r.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/alias bomb/));
	});

	it('allows a few aliases, as DRY configs use them', () => {
		const text = `${HEAD}spec:\n  provision:\n    users:\n      - name: a\n        groups: &g [sudo, adm]\n      - name: b\n        groups: *g\n`;
		const r = parseLayer(text);
		expect(r.problems).toEqual([]);
		expect(r.layer?.spec?.provision?.users?.[1].groups).toEqual(['sudo', 'adm']);
	});

	it('an empty file and a non-mapping top level are clear errors', () => {
		expect(parseLayer('').problems[0].message).toMatch(/empty/);
		expect(parseLayer('# only a comment\n').problems[0].message).toMatch(/empty/);
		expect(parseLayer('- a\n- b\n').problems[0].message).toMatch(/top level must be a mapping/);
		expect(parseLayer('just text\n').problems[0].message).toMatch(/top level must be a mapping/);
	});
});

describe('size limit', () => {
	it('accepts a file at the limit and refuses one byte more, naming the limit', () => {
		const filler = (n: number) => `${HEAD}# ${'x'.repeat(n - HEAD.length - 3)}\n`;
		expect(Buffer.byteLength(filler(MAX_CONFIG_BYTES))).toBe(MAX_CONFIG_BYTES);
		expect(parseLayer(filler(MAX_CONFIG_BYTES)).problems).toEqual([]);
		const over = parseLayer(filler(MAX_CONFIG_BYTES + 1));
		expect(over.problems).toHaveLength(1);
		expect(over.problems[0].message).toBe('the config is 256 KiB; the limit is 256 KiB');
	});

	it('refuses a 1 MB file before parsing it', () => {
		const r = parseLayer(`${HEAD}# ${'y'.repeat(1024 * 1024)}\n`);
		expect(r.doc).toBeNull();
		expect(r.problems[0].message).toBe('the config is 1.0 MiB; the limit is 256 KiB');
	});

	it('counts bytes, not characters', () => {
		const r = parseLayer(`${HEAD}# ${'é'.repeat(MAX_CONFIG_BYTES / 2)}\n`);
		expect(r.problems[0].message).toMatch(/limit is 256 KiB/);
	});
});

describe('file modes', () => {
	const modeOf = (literal: string) => {
		const r = parseLayer(`${HEAD}spec:\n  provision:\n    files:\n      - path: /x\n        content: y\n        mode: ${literal}\n`);
		return { mode: r.layer?.spec?.provision?.files?.[0].mode, problems: r.problems };
	};
	it('keeps the octal text YAML would read as decimal', () => {
		expect(modeOf('0644').mode).toBe('0644');
		expect(modeOf('644').mode).toBe('644');
		expect(modeOf("'0755'").mode).toBe('0755');
		expect(modeOf('4755').mode).toBe('4755');
	});
	it('refuses modes that are not octal digits', () => {
		for (const bad of ['0o644', '0x1a4', '999', '0888', 'rw-r--r--', '12345', '"0644; id"']) {
			expect(
				modeOf(bad).problems.map((p) => p.path),
				bad
			).toContain('spec.provision.files[0].mode');
		}
	});
});

describe('values that are text even when YAML reads a number or boolean', () => {
	it('keeps env values, helper vars and digests as written', () => {
		const digits = '0123456789'.repeat(6) + '0123';
		const r = parseLayer(
			`${HEAD}spec:\n  helper_script:\n    file: s.sh\n    sha256: ${digits}\n    vars:\n      var_cpu: 2\n      var_ssh: yes\n      var_ver: 12.10\n  provision:\n    scripts:\n      - name: s\n        run: env\n        env:\n          PORT: 3000\n          DEBUG: true\n`
		);
		expect(r.problems).toEqual([]);
		expect(r.layer?.spec?.helper_script).toMatchObject({ sha256: digits, vars: { var_cpu: '2', var_ssh: 'yes', var_ver: '12.10' } });
		expect(r.layer?.spec?.provision?.scripts?.[0].env).toEqual({ PORT: '3000', DEBUG: 'true' });
	});
	it('other text keys still want text', () => {
		expect(parseLayer(`${HEAD}metadata:\n  description: 42\n`).problems[0]).toMatchObject({ path: 'metadata.description', message: 'must be text, got a number' });
	});
});
