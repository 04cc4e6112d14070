// The inheritance rule, in one place: mappings merge key by key, recursively; `spec.provision.packages`
// is the base's list followed by the child's, without duplicates; every other value, lists included,
// is replaced by the child's. Pure; inputs are never mutated.

type Plain = Record<string, unknown>;

/** Paths (dot-joined) whose lists are concatenated instead of replaced. */
const CONCATENATED = new Set(['spec.provision.packages']);

function isPlain(value: unknown): value is Plain {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
	return structuredClone(value);
}

export function deepMerge(base: Plain, child: Plain, path = ''): Plain {
	const out: Plain = clone(base);
	for (const [key, value] of Object.entries(child)) {
		if (value === undefined) continue;
		const here = path ? `${path}.${key}` : key;
		const prev = out[key];
		if (CONCATENATED.has(here) && Array.isArray(prev) && Array.isArray(value)) {
			out[key] = [...new Set([...prev, ...value])];
		} else if (isPlain(prev) && isPlain(value)) {
			out[key] = deepMerge(prev, value, here);
		} else {
			out[key] = clone(value);
		}
	}
	return out;
}

/** Merge a chain given base-first: mergeChain([grandBase, base, child]). */
export function mergeChain(layers: readonly Plain[]): Plain {
	return layers.reduce<Plain>((acc, layer) => deepMerge(acc, layer), {});
}
