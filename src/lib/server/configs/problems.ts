// Turns zod issues into ConfigProblems in plain language, with the key path and the position of the
// offending node. Unknown keys become one problem each, with the nearest known key as a hint.

import type { z } from 'zod';
import type { Document, LineCounter } from 'yaml';
import type { ConfigProblem } from '$lib/shared/types/configs';
import { locate } from './locate';
import { knownKeysAt } from './schema';
import { nearest } from './suggest';

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
	let out = '';
	for (const segment of path) {
		if (typeof segment === 'number') out += `[${segment}]`;
		else out += out ? `.${String(segment)}` : String(segment);
	}
	return out;
}

function describe(value: unknown): string {
	if (value === null) return 'nothing (null)';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'object') return 'a mapping';
	if (typeof value === 'string') return 'text';
	return `a ${typeof value}`;
}

/** Plain-language message for zod's built-in checks; used as zod's error map. */
export function friendlyIssue(issue: z.core.$ZodRawIssue): string | undefined {
	switch (issue.code) {
		case 'invalid_type': {
			if (issue.input === undefined) return 'is required';
			const expected = issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : issue.expected === 'string' ? 'text' : `a ${issue.expected}`;
			return `must be ${expected}, got ${describe(issue.input)}`;
		}
		case 'too_small':
		case 'too_big': {
			const small = issue.code === 'too_small';
			const bound = String(issue.code === 'too_small' ? issue.minimum : issue.maximum);
			if (issue.origin === 'array') return `must have ${small ? 'at least' : 'at most'} ${bound} item${bound === '1' ? '' : 's'}`;
			if (issue.origin === 'string') return `must be ${small ? 'at least' : 'at most'} ${bound} character${bound === '1' ? '' : 's'}`;
			return `must be ${small ? 'at least' : 'at most'} ${bound}`;
		}
		case 'invalid_value':
			return `must be one of: ${issue.values.map(String).join(', ')}`;
		case 'invalid_union':
			return 'is not one of the allowed forms';
		default:
			return undefined;
	}
}

export function issuesToProblems(issues: readonly z.core.$ZodIssue[], doc: Document, lines: LineCounter, text: string): ConfigProblem[] {
	const problems: ConfigProblem[] = [];
	for (const issue of issues) {
		if (issue.code === 'unrecognized_keys') {
			const known = knownKeysAt(issue.path);
			for (const key of issue.keys) {
				const path = [...issue.path, key];
				const hint = nearest(key, known);
				const message = hint ? `unknown key '${key}'; did you mean '${hint}'?` : `unknown key '${key}'${known.length ? `; allowed here: ${known.join(', ')}` : ''}`;
				problems.push(at(doc, lines, text, path, message, 'error', true));
			}
			continue;
		}
		problems.push(at(doc, lines, text, issue.path, issue.message, 'error'));
	}
	return problems;
}

/** A problem at `path`, positioned from the document (null positions when the path has no node). */
export function at(
	doc: Document | null,
	lines: LineCounter | null,
	text: string,
	path: ReadonlyArray<PropertyKey>,
	message: string,
	severity: ConfigProblem['severity'],
	onKey = false
): ConfigProblem {
	const where = doc && lines ? locate(doc, lines, text, path, onKey) : null;
	return {
		path: formatPath(path),
		message,
		line: where?.line ?? null,
		col: where?.col ?? null,
		endLine: where?.endLine ?? null,
		endCol: where?.endCol ?? null,
		severity
	};
}
