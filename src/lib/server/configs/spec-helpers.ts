// Shared by the configs specs: default platform values and a resolver over in-memory bases.

import type { PlatformDefaults } from './defaults';
import { resolveText, type Resolution } from './resolve';

export const DEFAULTS: PlatformDefaults = {
	node: 'pve',
	template: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst',
	cores: 2,
	memory: 2048,
	swap: 512,
	disk: 8,
	storage: 'local-lvm',
	bridge: 'vmbr0',
	aptProxy: null,
	npmRegistry: null
};

export const HEAD = 'apiVersion: spyre/v1\nkind: Environment\n';

/** Resolve `text` with `bases` (name -> text) as the only bases. */
export function check(text: string, bases: Record<string, string> = {}, name = 'test', defaults = DEFAULTS): Resolution {
	return resolveText(text, { name, loadBase: (n) => bases[n] ?? null, defaults });
}

export function errors(r: Resolution) {
	return r.problems.filter((p) => p.severity === 'error');
}
