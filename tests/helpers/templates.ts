// The CT templates the tests create from: the ones scripts/build-templates.sh built on this machine (the
// simulator lists what is in its templates dir; names carry Debian's point release, e.g. 12.15). The
// test template `debian-12-devtest` is the standard one plus tmux and git, like a site's custom template;
// `debian-12-standard` is the plain one Proxmox ships (no tmux: Spyre installs it at bring-up).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const TEMPLATES_DIR = process.env.SPYRE_SIM_TEMPLATES || '/var/cache/spyre-sim/templates';

function built(kind: 'standard' | 'devtest'): string {
	let files: string[] = [];
	try {
		files = readdirSync(join(TEMPLATES_DIR, 'cache'));
	} catch {
		/* reported below */
	}
	const file = files
		.filter((f) => new RegExp(`^debian-12-${kind}_12\\.\\d+-1_amd64\\.tar\\.zst$`).test(f))
		.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
		.pop();
	if (!file) throw new Error(`no debian-12-${kind} template in ${TEMPLATES_DIR}/cache: run scripts/build-templates.sh (./setup.sh test does)`);
	return `local:vztmpl/${file}`;
}

/** The template every test CT is made from unless a test says otherwise. */
export const TEST_TEMPLATE = built('devtest');
/** The plain Proxmox-like standard template (no tmux, no git). */
export const STANDARD_TEMPLATE = built('standard');

/** The real .deb files of the devtest extras (tmux, git and what they need), for a CT without network. */
export function templateDebs(): string[] {
	const dir = join(TEMPLATES_DIR, 'debs');
	return readdirSync(dir)
		.filter((f) => f.endsWith('.deb'))
		.map((f) => join(dir, f));
}
