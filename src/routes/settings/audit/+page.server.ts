import { pendingAuthFailures } from '$lib/server/auth/audit';
import { actionChoices, EXPORT_MAX_ROWS, PAGE_SIZE, formatCursor, getAuditEntry, knownActions, parseAuditFilter, parseCursor, queryAudit } from '$lib/server/audit/query';
import type { PageServerLoad } from './$types';

// The audit viewer: everything it shows comes from the URL (filters, page cursor, open entry), so a
// reload or a shared link shows the same thing.
export const load: PageServerLoad = ({ url }) => {
	const { filter, values, errors } = parseAuditFilter(url.searchParams);
	const before = parseCursor(url.searchParams.get('before'));
	const after = before ? null : parseCursor(url.searchParams.get('after'));
	const page = queryAudit(filter, { before, after });
	const wanted = url.searchParams.has('id');
	const selected = wanted ? getAuditEntry(Number(url.searchParams.get('id'))) : null;
	return {
		values,
		errors,
		entries: page.entries,
		older: page.older ? formatCursor(page.older) : null,
		newer: page.newer ? formatCursor(page.newer) : null,
		selected,
		selectedMissing: wanted && selected === null,
		actions: actionChoices(knownActions()),
		pendingSignIns: pendingAuthFailures(),
		pageSize: PAGE_SIZE,
		exportMax: EXPORT_MAX_ROWS
	};
};
