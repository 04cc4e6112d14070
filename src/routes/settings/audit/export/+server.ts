import { SpyreError } from '$lib/server/errors';
import { actorOf, errorResponse, requireUser } from '$lib/server/http';
import { record } from '$lib/server/audit';
import { CSV_HEADER, EXPORT_MAX_ROWS, csvEntry, csvRow, exceeds, exportBatches, exportFormat, parseAuditFilter } from '$lib/server/audit/query';
import type { RequestHandler } from './$types';

// The filtered audit log as a download, streamed batch by batch (each batch one short query, so the
// single database handle is never held while the client reads) and capped at EXPORT_MAX_ROWS, newest
// first. A cut export says so: the X-Spyre-Export-Truncated header, and `truncated` in the JSON.
export const GET: RequestHandler = (event) => {
	try {
		requireUser(event);
		const format = exportFormat(event.url.searchParams.get('format'));
		const { filter, values, errors } = parseAuditFilter(event.url.searchParams);
		if (Object.keys(errors).length) throw new SpyreError('validation', 'Fix the filter before exporting.', { fields: errors });
		const truncated = exceeds(filter, EXPORT_MAX_ROWS);
		// Reading the audit log wholesale is worth a line in it: who took a copy, and of what.
		const used = Object.entries(values)
			.filter(([, v]) => v)
			.map(([k, v]) => `${k}=${v}`)
			.join(' ');
		record(actorOf(event), 'audit.export', null, 'success', `${format.toUpperCase()} export${used ? ` (${used})` : ''}${truncated ? `, cut at ${EXPORT_MAX_ROWS} rows` : ''}`);

		const batches = exportBatches(filter);
		const enc = new TextEncoder();
		let first = true;
		const stream = new ReadableStream<Uint8Array>({
			pull(controller) {
				const next = batches.next();
				let chunk = '';
				if (format === 'csv') {
					// The BOM makes spreadsheets read the file as UTF-8 (usernames and details are free text).
					if (first) chunk += `\uFEFF${csvRow(CSV_HEADER)}`;
					if (!next.done) chunk += next.value.map(csvEntry).join('');
				} else {
					if (first) chunk += `{"exported":${JSON.stringify(new Date().toISOString())},"filter":${JSON.stringify(values)},"limit":${EXPORT_MAX_ROWS},"truncated":${truncated},"entries":[`;
					if (!next.done) chunk += (first ? '' : ',') + next.value.map((e) => JSON.stringify(e)).join(',');
					if (next.done) chunk += ']}\n';
				}
				first = false;
				if (chunk) controller.enqueue(enc.encode(chunk));
				if (next.done) controller.close();
			},
			cancel() {
				batches.return(undefined);
			}
		});
		const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
		return new Response(stream, {
			headers: {
				'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
				'content-disposition': `attachment; filename="spyre-audit-${stamp}.${format}"`,
				'cache-control': 'no-store',
				'x-content-type-options': 'nosniff',
				'x-spyre-export-truncated': String(truncated)
			}
		});
	} catch (err) {
		return errorResponse(err);
	}
};
