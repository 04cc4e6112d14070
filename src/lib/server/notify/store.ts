// Notification rows: the webhook setting and the delivery log (bounded: the newest KEEP_DELIVERIES).
// SQL only with bound parameters. The stored URL leaves this module only to the sender.

import { getDb, type Db } from '../db';
import type { DeliveryStatus, DeliveryView } from '$lib/shared/types/notify';

export const KEEP_DELIVERIES = 50;

export function webhookUrl(db: Db = getDb()): string | null {
	return (db.prepare(`SELECT value FROM notify_settings WHERE key = 'webhook_url'`).get() as { value: string } | undefined)?.value ?? null;
}

export function setWebhookUrl(url: string | null, db: Db = getDb()): void {
	if (url === null) db.prepare(`DELETE FROM notify_settings WHERE key = 'webhook_url'`).run();
	else db.prepare(`INSERT INTO notify_settings (key, value) VALUES ('webhook_url', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(url);
}

export function insertDelivery(d: { kind: string; title: string; target: string }, db: Db = getDb()): number {
	const id = Number(db.prepare(`INSERT INTO notify_deliveries (created_at, kind, title, target, status) VALUES (?, ?, ?, ?, 'pending')`).run(Date.now(), d.kind, d.title, d.target).lastInsertRowid);
	db.prepare('DELETE FROM notify_deliveries WHERE id <= ?').run(id - KEEP_DELIVERIES);
	return id;
}

export function updateDelivery(id: number, d: { status: DeliveryStatus; attempts: number; httpStatus: number | null; error: string | null; finished: boolean }, db: Db = getDb()): void {
	db.prepare('UPDATE notify_deliveries SET status = ?, attempts = ?, http_status = ?, error = ?, finished_at = ? WHERE id = ?').run(
		d.status,
		d.attempts,
		d.httpStatus,
		d.error,
		d.finished ? Date.now() : null,
		id
	);
}

/** Deliveries a stopped process left pending are failed: nothing resends them after a restart. */
export function failPending(reason: string, db: Db = getDb()): number {
	return db.prepare(`UPDATE notify_deliveries SET status = 'failed', error = ?, finished_at = ? WHERE status = 'pending'`).run(reason, Date.now()).changes;
}

export function recentDeliveries(limit = 20, db: Db = getDb()): DeliveryView[] {
	return db
		.prepare(
			`SELECT id, created_at AS createdAt, kind, title, target, status, attempts, http_status AS httpStatus, error, finished_at AS finishedAt
			   FROM notify_deliveries ORDER BY id DESC LIMIT ?`
		)
		.all(limit) as DeliveryView[];
}
