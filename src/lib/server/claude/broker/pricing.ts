// The one price table of Claude models (USD per million tokens), used to turn the usage upstream reported
// into a cost for budgets and the task page. Matched by model family; a model this table does not know is
// priced at the highest rate in it, so a budget errs on the side of stopping early, never late.
// Never reads usage from a CT: callers pass what upstream answered.

export interface Price {
	input: number;
	output: number;
	/** Writing the prompt cache (5-minute TTL). */
	cacheWrite: number;
	cacheRead: number;
}

export interface TokenUsage {
	inputTokens: number;
	outputTokens: number;
	cacheCreationTokens: number;
	cacheReadTokens: number;
}

/** First match wins: more specific patterns first. Public list prices. */
const TABLE: Array<[RegExp, Price]> = [
	[/opus-4-(5|6|7|8|9)|opus-[5-9]/, { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 }],
	[/opus/, { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 }],
	[/sonnet/, { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }],
	[/haiku-(4|[5-9])/, { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 }],
	[/haiku/, { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 }]
];

/** The highest rate in the table: for a model it does not know. */
export const FALLBACK_PRICE: Price = { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 };

export function priceOf(model: string | null): Price {
	const m = (model ?? '').toLowerCase();
	for (const [re, price] of TABLE) if (re.test(m)) return price;
	return FALLBACK_PRICE;
}

export function costUsd(model: string | null, u: TokenUsage): number {
	const p = priceOf(model);
	return (u.inputTokens * p.input + u.outputTokens * p.output + u.cacheCreationTokens * p.cacheWrite + u.cacheReadTokens * p.cacheRead) / 1_000_000;
}
