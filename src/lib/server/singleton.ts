// Process-wide singletons keyed on globalThis, so Vite's hot reload and the dev/prod split never create a
// second DB handle or SSH pool. Holds infrastructure only, never per-user data.

const registry = ((globalThis as Record<symbol, unknown>)[Symbol.for('spyre.singletons')] ??= new Map<string, unknown>()) as Map<string, unknown>;

export function singleton<T>(key: string, factory: () => T): T {
	if (!registry.has(key)) registry.set(key, factory());
	return registry.get(key) as T;
}

/** Drop a singleton (tests, shutdown). Returns the old value so the caller can close it. */
export function forgetSingleton<T>(key: string): T | undefined {
	const value = registry.get(key) as T | undefined;
	registry.delete(key);
	return value;
}
