// The environments page's search, filters, view and page as URL query parameters, so a reload or a shared
// link keeps them. Pure and shared: the server filters with it, the page builds its links with it.

export const STATUS_FILTERS = ['running', 'stopped', 'busy', 'problem'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];
export type EnvironmentViewMode = 'cards' | 'table';

export interface EnvironmentQuery {
	/** Free text: matches hostname or name, CT id, IP and node, case-insensitively. */
	q: string;
	status: StatusFilter | null;
	node: string | null;
	/** null: the page picks (cards for a few environments, a table for many). */
	view: EnvironmentViewMode | null;
	/** 1-based. */
	page: number;
}

export const PAGE_SIZE: Record<EnvironmentViewMode, number> = { cards: 24, table: 50 };
/** Above this many managed environments the page opens as a table unless the URL asks for cards. */
export const TABLE_FROM = 24;
/** Unmanaged CTs and VMs shown at once; a search narrows the rest. */
export const GUESTS_SHOWN = 50;
const MAX_Q = 100;

export function parseQuery(params: URLSearchParams): EnvironmentQuery {
	const status = params.get('status');
	const view = params.get('view');
	const page = Number(params.get('page'));
	return {
		q: (params.get('q') ?? '').trim().slice(0, MAX_Q),
		status: (STATUS_FILTERS as readonly string[]).includes(status ?? '') ? (status as StatusFilter) : null,
		node: params.get('node')?.trim() || null,
		view: view === 'cards' || view === 'table' ? view : null,
		page: Number.isInteger(page) && page > 1 ? page : 1
	};
}

/** `?…` for the query with some fields changed; defaults are left out so URLs stay short. */
export function queryString(query: EnvironmentQuery, change: Partial<EnvironmentQuery> = {}): string {
	const next = { ...query, ...change };
	const params = new URLSearchParams();
	if (next.q) params.set('q', next.q);
	if (next.status) params.set('status', next.status);
	if (next.node) params.set('node', next.node);
	if (next.view) params.set('view', next.view);
	if (next.page > 1) params.set('page', String(next.page));
	const s = params.toString();
	return s ? `?${s}` : '?';
}

export function isFiltered(query: EnvironmentQuery): boolean {
	return query.q !== '' || query.status !== null || query.node !== null;
}
