import { describe, expect, it } from 'vitest';
import { tmuxLiteral } from './tmux-controller';

describe('tmuxLiteral', () => {
	it.each([
		['#(id > /tmp/x)', '##(id > /tmp/x)'],
		['#{session_name}', '##{session_name}'],
		['##', '####'],
		['#[fg=red]x', '##[fg=red]x'],
		['plain name', 'plain name']
	])('%j -> %j', (name, out) => expect(tmuxLiteral(name)).toBe(out));
});
