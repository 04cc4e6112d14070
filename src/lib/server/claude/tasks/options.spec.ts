import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../configs';
import { DEFAULT_PERMISSION_MODE, TASK_PERMISSION_MODES } from '$lib/shared/types/claude';
import { repoPathProblem, resolveOptions } from './options';

describe('permission mode: one list, one default', () => {
	it('a task without a mode, and a config without one, both run in bypassPermissions (with a snapshot)', () => {
		expect(DEFAULT_PERMISSION_MODE).toBe('bypassPermissions');
		const bare = resolveOptions({}, null);
		expect(bare).toMatchObject({ permissionMode: 'bypassPermissions', snapshot: true });
		const fromConfig = resolveOptions({}, { workdir: null, model: null, permission_mode: DEFAULT_PERMISSION_MODE, allowed_tools: [], check: null });
		expect(fromConfig.permissionMode).toBe('bypassPermissions');
	});

	it('a config may choose any mode a task may, and the JSON Schema offers exactly that list and default', () => {
		for (const mode of TASK_PERMISSION_MODES) {
			expect(resolveOptions({}, { workdir: null, model: null, permission_mode: mode, allowed_tools: [], check: null }).permissionMode).toBe(mode);
		}
		const text = JSON.stringify(configJsonSchema());
		const prop = /"permission_mode":(\{[^}]*\})/.exec(text)?.[1];
		expect(prop && (JSON.parse(prop) as { enum: string[]; description: string })).toMatchObject({
			enum: [...TASK_PERMISSION_MODES],
			description: expect.stringContaining(`default ${DEFAULT_PERMISSION_MODE}`)
		});
	});
});

describe('repo: a path of the environment, checked for shape here', () => {
	it.each([
		['/root/app', null],
		['/srv/git/my-repo.v2', null],
		['relative/app', 'must be an absolute path such as /root/app'],
		['/root/app; rm -rf /', 'may use letters, digits and . _ @ + - / only'],
		['/root/$(id)', 'may use letters, digits and . _ @ + - / only'],
		['/root/`id`', 'may use letters, digits and . _ @ + - / only'],
		['/root/a\nb', 'may use letters, digits and . _ @ + - / only'],
		['/root/../etc', 'may not contain ..'],
		['/' + 'a'.repeat(1100), 'is too long (1024 characters at most)']
	])('%j → %s', (path, problem) => {
		expect(repoPathProblem(path)).toBe(problem);
	});

	it('a bad path is a field error; a good one becomes the working directory unless one is given', () => {
		expect(() => resolveOptions({ repo: '/root/a;b' }, null)).toThrow(expect.objectContaining({ code: 'validation', fields: { repo: expect.any(String) } }));
		expect(resolveOptions({ repo: '/root/app' }, null)).toMatchObject({ repo: '/root/app', workdir: '/root/app' });
		expect(resolveOptions({ repo: '/root/app', workdir: '/tmp' }, null)).toMatchObject({ repo: '/root/app', workdir: '/tmp' });
		expect(resolveOptions({}, null).repo).toBeNull();
	});
});
