import { describe, expect, it } from 'vitest';
import { indentAfter } from './yaml-indent';

describe('indentAfter', () => {
	it.each([
		['provision:', 2],
		['spec:', 2],
		['  provision:', 4],
		['  provision:   # the steps', 4],
		['    files:', 6],
		['  - name: dev', 4],
		['  - path: /etc/a', 4],
		['  - files:', 6],
		['- - x', 0],
		['  -', 4],
		['    run: |', 6],
		['    run: >-', 6],
		['      echo hi', 6],
		['  cores: 2', 2],
		['  - git', 2],
		['  packages: [git, curl]', 2],
		["  - 'a: b'", 2],
		['  note: "ends with a colon:"', 2],
		['', 0],
		['    ', 4],
		['  # provision:', 2]
	])('%j → %i', (line, col) => {
		expect(indentAfter(line)).toBe(col);
	});
});
