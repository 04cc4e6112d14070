import { describe, expect, it } from 'vitest';
import { environmentView } from '$lib/shared/types/environments.fixture';
import type { ServerEventMap } from '$lib/shared/types/events';
import { appendLogLine, dropLog, keepLiveMetrics, LOG_LIMIT, removeRow, upsertRow, type LogLine } from './environments-model';

const view = environmentView;

const logEvent = (seq: number, runId: number, message = `line ${seq}`): ServerEventMap['env.log'] => ({
	id: 'a',
	runId,
	runKind: 'provision',
	seq,
	ts: seq * 10,
	kind: 'log',
	step: null,
	message
});

describe('keepLiveMetrics', () => {
	it('keeps the last live numbers when a pushed row has none', () => {
		const prev = view('a', { cpu: 0.5, memUsed: 100, uptime: 60, liveStatus: 'running' });
		const merged = keepLiveMetrics(view('a', { status: 'stopping' }), prev);
		expect(merged).toMatchObject({ status: 'stopping', cpu: 0.5, memUsed: 100, uptime: 60, liveStatus: 'running' });
	});

	it('takes fresh live numbers over old ones, and a first row as it is', () => {
		const prev = view('a', { cpu: 0.5 });
		expect(keepLiveMetrics(view('a', { cpu: 0.9 }), prev).cpu).toBe(0.9);
		const first = view('b');
		expect(keepLiveMetrics(first, undefined)).toBe(first);
	});
});

describe('upsertRow', () => {
	const rows = [
		{ id: 'a', n: 1 },
		{ id: 'b', n: 1 }
	];

	it('replaces a known row where it is, whatever the placement', () => {
		for (const placement of ['top', 'bottom', 'none'] as const) {
			expect(upsertRow(rows, { id: 'b', n: 2 }, placement)).toEqual([
				{ id: 'a', n: 1 },
				{ id: 'b', n: 2 }
			]);
		}
	});

	it('adds an unknown row at the top, at the bottom, or not at all', () => {
		expect(upsertRow(rows, { id: 'c', n: 1 }, 'top').map((r) => r.id)).toEqual(['c', 'a', 'b']);
		expect(upsertRow(rows, { id: 'c', n: 1 }, 'bottom').map((r) => r.id)).toEqual(['a', 'b', 'c']);
		expect(upsertRow(rows, { id: 'c', n: 1 }, 'none')).toBe(rows);
	});

	it('removes by id, and keeps the same list when there was nothing to remove', () => {
		expect(removeRow(rows, 'a').map((r) => r.id)).toEqual(['b']);
		expect(removeRow(rows, 'zz')).toBe(rows);
	});
});

describe('appendLogLine', () => {
	it('appends lines of the same run', () => {
		let lines: LogLine[] = appendLogLine(undefined, logEvent(1, 7));
		lines = appendLogLine(lines, logEvent(2, 7));
		expect(lines.map((l) => l.seq)).toEqual([1, 2]);
	});

	it('starts over for another run or a first line', () => {
		const old = [appendLogLine(undefined, logEvent(1, 7))[0], { ...appendLogLine(undefined, logEvent(2, 7))[0] }];
		expect(appendLogLine(old, logEvent(3, 8)).map((l) => [l.runId, l.seq])).toEqual([[8, 3]]);
		const seeded: LogLine[] = [{ seq: 4, ts: 0, kind: 'log', step: null, message: 'from the load' }];
		expect(appendLogLine(seeded, logEvent(5, 9))).toHaveLength(2);
		expect(appendLogLine(seeded, logEvent(1, 9))).toHaveLength(1);
	});

	it('skips a line it already holds (a replay after a reconnect) and keeps progress fields', () => {
		const lines = appendLogLine(appendLogLine(undefined, logEvent(1, 7)), { ...logEvent(2, 7), kind: 'step', step: 'packages', phase: 'provision', percent: 40 });
		expect(appendLogLine(lines, logEvent(2, 7))).toBe(lines);
		expect(lines[1]).toMatchObject({ step: 'packages', phase: 'provision', percent: 40 });
		expect(lines[0]).not.toHaveProperty('phase');
	});

	it(`keeps the newest ${LOG_LIMIT} lines`, () => {
		let lines: LogLine[] = [];
		for (let seq = 1; seq <= LOG_LIMIT + 20; seq++) lines = appendLogLine(lines, logEvent(seq, 1));
		expect(lines).toHaveLength(LOG_LIMIT);
		expect(lines.at(-1)?.seq).toBe(LOG_LIMIT + 20);
		expect(lines[0].seq).toBe(21);
	});

	it('drops a removed environment’s log', () => {
		const logs = { a: [], b: [] };
		expect(Object.keys(dropLog(logs, 'a'))).toEqual(['b']);
		expect(dropLog(logs, 'zz')).toBe(logs);
	});
});
