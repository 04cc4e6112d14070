import { describe, expect, it } from 'vitest';
import { shouldShow } from './browser-notify';

const base = { enabled: true, permission: 'granted', hidden: false, currentPath: '/', noticePath: '/claude/sessions/t' };

describe('shouldShow', () => {
	it.each([
		['on another route', {}, true],
		['hidden, on the same route', { hidden: true, currentPath: '/claude/sessions/t' }, true],
		['visible, on the notice page', { currentPath: '/claude/sessions/t' }, false],
		['not enabled', { enabled: false }, false],
		['permission denied', { permission: 'denied' }, false],
		['permission not asked yet', { permission: 'default', hidden: true }, false]
	])('%s → %s', (_, over, want) => expect(shouldShow({ ...base, ...over })).toBe(want));
});
