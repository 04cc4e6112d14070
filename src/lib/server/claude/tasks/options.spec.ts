import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../configs';
import { DEFAULT_PERMISSION_MODE, TASK_PERMISSION_MODES } from '$lib/types/claude';
import { resolveOptions } from './options';

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
