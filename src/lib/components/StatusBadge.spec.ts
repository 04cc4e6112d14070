// The status badge as the server renders it: "Stopped (idle)" / "Stopped (schedule)" only when Spyre stopped
// it on its own and it is still stopped (the e2e stops through the API, so the marker is pinned here and in
// tests/integration/idle-stop.test.ts, which reaches it through a real idle stop).
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import StatusBadge from './StatusBadge.svelte';
import type { EnvironmentStatus } from '$lib/shared/types/environments';

function badge(status: EnvironmentStatus, stoppedBy: 'idle' | 'schedule' | null): { text: string; stoppedBy: string | null; title: string | null } {
	const html = render(StatusBadge, { props: { status, stoppedBy } }).body;
	const span = /<span([^>]*)>([\s\S]*?)<\/span>/.exec(html);
	if (!span) throw new Error(`no badge in ${html}`);
	const attr = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(span[1])?.[1] ?? null;
	return { text: span[2].replace(/<!--[\s\S]*?-->/g, '').trim(), stoppedBy: attr('data-stopped-by'), title: attr('title') };
}

describe('StatusBadge', () => {
	it.each([
		['stopped', 'idle', 'Stopped (idle)', 'idle', /nobody used it for its idle time/],
		['stopped', 'schedule', 'Stopped (schedule)', 'schedule', /its schedule/],
		['stopped', null, 'Stopped', null, null],
		// Started again since: the reason no longer applies, whatever the row still says.
		['running', 'idle', 'Running', null, null],
		['starting', 'schedule', 'Starting', null, null]
	] as const)('%s, stopped by %s: "%s"', (status, by, text, marker, title) => {
		const b = badge(status, by);
		expect(b.text).toBe(text);
		expect(b.stoppedBy).toBe(marker);
		if (title) expect(b.title).toMatch(title);
		else expect(b.title).toBeNull();
	});
});
