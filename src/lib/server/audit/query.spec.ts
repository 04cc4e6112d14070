import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	csvCell,
	csvEntry,
	exceeds,
	exportBatches,
	exportFormat,
	getAuditEntry,
	knownActions,
	actionChoices,
	parseAuditFilter,
	parseCursor,
	queryAudit,
	sliceQuery,
	whereOf,
	type AuditFilter,
	type Cursor
} from './query';
import { openDatabase, type Db } from '../db';

let dir: string;
let db: Db;
const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const HOUR = 3600_000;
let total = 0;

function insert(ts: number, username: string | null, action: string, target: string | null, outcome: string, detail: string | null = null) {
	db.prepare('INSERT INTO audit_log (ts, user_id, username, action, target, outcome, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
		ts,
		null,
		username,
		action,
		target,
		outcome,
		'127.0.0.1',
		detail
	);
	total++;
}

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-audit-query-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
	// 130 rows over 130 hours, many sharing a timestamp (three per ts), so paging must break ties by id.
	for (let i = 0; i < 130; i++) {
		const ts = T0 + Math.floor(i / 3) * HOUR;
		insert(ts, i % 2 ? 'ada' : 'grace', i % 5 === 0 ? 'env.destroy' : 'env.create', `dev-${i}`, i % 7 === 0 ? 'failure' : 'success');
	}
	insert(T0, 'ada', 'auth.login', '100%_sure', 'denied', 'hostile');
});
afterAll(() => {
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

function walk(filter: AuditFilter, size: number): number[] {
	const ids: number[] = [];
	let before: Cursor | null = null;
	for (let guard = 0; guard < 100; guard++) {
		const page = queryAudit(filter, { before }, size, db);
		ids.push(...page.entries.map((e) => e.id));
		if (!page.older) break;
		before = page.older;
	}
	return ids;
}

describe('parseAuditFilter', () => {
	it('reads every field and turns dates into a UTC day range, the end day included', () => {
		const p = parseAuditFilter(new URLSearchParams('user=ada&action=env.*&outcome=failure&target=dev&from=2026-01-10&to=2026-01-11'));
		expect(p.errors).toEqual({});
		expect(p.filter).toEqual({ user: 'ada', action: 'env.*', outcome: 'failure', target: 'dev', from: Date.UTC(2026, 0, 10), until: Date.UTC(2026, 0, 12) });
	});
	it('reports unusable fields and leaves them out instead of guessing', () => {
		const p = parseAuditFilter(new URLSearchParams('outcome=maybe&from=2026-02-31&to=yesterday'));
		expect(Object.keys(p.errors).sort()).toEqual(['from', 'outcome', 'to']);
		expect(p.filter).toEqual({});
		const r = parseAuditFilter(new URLSearchParams('from=2026-03-02&to=2026-03-01'));
		expect(r.errors.to).toMatch(/before the start/);
		expect(r.filter.until).toBeUndefined();
	});
	it('parses only well-formed cursors', () => {
		expect(parseCursor('1700000000000:42')).toEqual({ ts: 1700000000000, id: 42 });
		for (const bad of ['', '1:2:3', "1' OR 1=1", '-1:2', null]) expect(parseCursor(bad)).toBeNull();
	});
});

describe('query builder', () => {
	it('keeps hostile values out of the SQL text: they travel as bound parameters only', () => {
		const hostile = "x' OR 1=1; DROP TABLE audit_log; --";
		const q = sliceQuery({ user: hostile, action: hostile, target: hostile }, 10, { before: { ts: 5, id: 6 } });
		expect(q.sql).not.toContain('DROP');
		expect(q.sql).not.toContain("'x");
		expect(q.params).toContain(hostile);
		expect(queryAudit({ user: hostile }, {}, 10, db).entries).toEqual([]);
		expect((db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n).toBe(total);
	});
	it('treats % and _ in a target as literal characters', () => {
		expect(whereOf({ target: '100%_' }).params).toEqual(['%100\\%\\_%']);
		expect(queryAudit({ target: '100%_' }, {}, 50, db).entries.map((e) => e.target)).toEqual(['100%_sure']);
		// Unescaped, `_` would match any character, i.e. every row.
		expect(queryAudit({ target: '_' }, {}, 500, db).entries.map((e) => e.target)).toEqual(['100%_sure']);
	});
	it('serves pages from an index, with no sort of the whole log', () => {
		for (const filter of [{}, { from: T0, until: T0 + 10 * HOUR }, { user: 'ada' }, { action: 'env.create' }, { action: 'env.*', outcome: 'failure' as const }]) {
			for (const pos of [{}, { before: { ts: T0 + 5 * HOUR, id: 20 } }, { after: { ts: T0, id: 2 } }]) {
				const q = sliceQuery(filter, 51, pos);
				const plan = (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
				expect(plan, JSON.stringify({ filter, pos })).toMatch(/USING (COVERING )?INDEX audit_log_(ts|action)/);
				expect(plan, JSON.stringify({ filter, pos })).not.toMatch(/TEMP B-TREE/);
			}
		}
	});
});

describe('queryAudit', () => {
	it('pages through every row exactly once, newest first, ties broken by id', () => {
		const ids = walk({}, 7);
		expect(ids).toHaveLength(total);
		expect(new Set(ids).size).toBe(total);
		const all = db.prepare('SELECT id FROM audit_log ORDER BY ts DESC, id DESC').all() as Array<{ id: number }>;
		expect(ids).toEqual(all.map((r) => r.id));
	});
	it('pages back to newer rows and lands on the full newest page', () => {
		const first = queryAudit({}, {}, 10, db);
		expect(first.newer).toBeNull();
		const second = queryAudit({}, { before: first.older }, 10, db);
		const third = queryAudit({}, { before: second.older }, 10, db);
		const back = queryAudit({}, { after: third.newer }, 10, db);
		expect(back.entries.map((e) => e.id)).toEqual(second.entries.map((e) => e.id));
		const home = queryAudit({}, { after: back.newer }, 10, db);
		expect(home.entries.map((e) => e.id)).toEqual(first.entries.map((e) => e.id));
		expect(home.newer).toBeNull();
	});
	it('filters by user, action (exact and prefix), outcome and date range', () => {
		const ada = walk({ user: 'ada' }, 20);
		expect(ada).toHaveLength(66);
		expect(walk({ action: 'env.destroy' }, 20)).toHaveLength(26);
		expect(walk({ action: 'env.*' }, 20)).toHaveLength(130);
		expect(walk({ action: 'env.' }, 20)).toHaveLength(0);
		const failures = queryAudit({ outcome: 'failure', action: 'env.*' }, {}, 500, db).entries;
		expect(failures).toHaveLength(19);
		expect(failures.every((e) => e.outcome === 'failure')).toBe(true);
		// Rows at T0 .. T0+2h: three per hour, plus the auth.login at T0.
		const range = queryAudit({ from: T0, until: T0 + 3 * HOUR }, {}, 500, db).entries;
		expect(range).toHaveLength(10);
		expect(range.every((e) => e.ts >= T0 && e.ts < T0 + 3 * HOUR)).toBe(true);
	});
	it('finds one entry with every field, and nothing for a bad id', () => {
		const last = queryAudit({ action: 'auth.login' }, {}, 1, db).entries[0];
		expect(getAuditEntry(last.id, db)).toEqual({
			id: last.id,
			ts: T0,
			userId: null,
			username: 'ada',
			action: 'auth.login',
			target: '100%_sure',
			outcome: 'denied',
			ip: '127.0.0.1',
			detail: 'hostile'
		});
		expect(getAuditEntry(0, db)).toBeNull();
		expect(getAuditEntry(Number.NaN, db)).toBeNull();
		expect(getAuditEntry(999_999, db)).toBeNull();
	});
	it('lists the distinct actions', () => {
		expect(knownActions(db)).toEqual(['auth.login', 'env.create', 'env.destroy']);
	});
	it('offers each family as a prefix and takes the placeholder from families that exist', () => {
		const actions = ['auth.login', 'auth.logout', 'environment.create', 'environment.provision.retry', 'terminal.attach'];
		expect(actionChoices(actions)).toEqual({
			options: ['auth.*', 'auth.login', 'auth.logout', 'environment.*', 'environment.create', 'environment.provision.retry', 'terminal.*', 'terminal.attach'],
			example: 'environment.*'
		});
		expect(actionChoices(['auth.login', 'config.save', 'config.create']).example).toBe('config.*');
		expect(actionChoices([]).example).toBe('environment.*');
		// The example is always a prefix some recorded action has, or the default family.
		for (const list of [actions, ['auth.login'], ['claude.task.dispatch', 'claude.install']]) {
			const { example } = actionChoices(list);
			expect(list.some((a) => a.startsWith(example.slice(0, -1)))).toBe(true);
		}
	});
});

describe('export', () => {
	it('yields every filtered row in bounded batches, and stops at the limit', () => {
		const batches = [...exportBatches({}, 1000, 40, db)];
		expect(batches.map((b) => b.length)).toEqual([40, 40, 40, 11]);
		expect(batches.flat().map((e) => e.id)).toEqual(walk({}, 50));
		const capped = [...exportBatches({}, 100, 40, db)];
		expect(capped.map((b) => b.length)).toEqual([40, 40, 20]);
		expect(exceeds({}, 100, db)).toBe(true);
		expect(exceeds({}, total, db)).toBe(false);
		expect([...exportBatches({ user: 'nobody' }, 100, 40, db)]).toEqual([]);
	});
	it('accepts csv (the default) and json only', () => {
		expect(exportFormat(null)).toBe('csv');
		expect(exportFormat('json')).toBe('json');
		expect(() => exportFormat('xlsx')).toThrow(/csv or json/);
	});
});

/** A small RFC 4180 reader, to prove the cells read back as written. */
function parseCsv(text: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let cell = '';
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') {
				cell += '"';
				i++;
			} else if (c === '"') quoted = false;
			else cell += c;
		} else if (c === '"') quoted = true;
		else if (c === ',') {
			row.push(cell);
			cell = '';
		} else if (c === '\r' && text[i + 1] === '\n') {
			row.push(cell);
			rows.push(row);
			row = [];
			cell = '';
			i++;
		} else cell += c;
	}
	return rows;
}

describe('CSV escaping', () => {
	it('neutralises formula starts so a spreadsheet shows text, never runs it', () => {
		expect(csvCell("=cmd|' /C calc'!A0")).toBe("'=cmd|' /C calc'!A0");
		expect(csvCell('+1+1')).toBe("'+1+1");
		expect(csvCell('-2+3')).toBe("'-2+3");
		expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
		expect(csvCell('\t=1')).toBe("'\t=1");
		expect(csvCell('＝1')).toBe("'＝1");
		expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
		expect(csvCell('plain')).toBe('plain');
		expect(csvCell('a=b')).toBe('a=b');
		expect(csvCell(-5)).toBe('-5');
		expect(csvCell(null)).toBe('');
	});
	it('quotes commas, quotes and line breaks, and the rows read back exactly', () => {
		const hostile = ['a,b', 'say "hi"', 'line1\nline2', 'cr\r\nlf', "=cmd|'/C calc'!A0", ' padded ', ''];
		const entry = { id: 7, ts: T0, userId: null, username: hostile[0], action: hostile[1], target: hostile[2], outcome: 'denied' as const, ip: hostile[3], detail: hostile[4] };
		const rows = parseCsv(csvEntry(entry) + hostile.map(csvCell).join(',') + '\r\n');
		expect(rows[0]).toEqual(['7', new Date(T0).toISOString(), String(T0), '', 'a,b', 'say "hi"', 'line1\nline2', 'denied', 'cr\r\nlf', "'=cmd|'/C calc'!A0"]);
		expect(rows[1]).toEqual(['a,b', 'say "hi"', 'line1\nline2', 'cr\r\nlf', "'=cmd|'/C calc'!A0", ' padded ', '']);
	});
});
