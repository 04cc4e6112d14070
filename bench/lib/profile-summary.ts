// Summarises a .cpuprofile (from bench/lib/cpu-profile.mjs): self time by function and by source file,
// and inclusive time of the functions named on the command line. `npx tsx bench/lib/profile-summary.ts FILE [fn...]`
import fs from 'node:fs';

interface Node {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}
interface Profile {
	nodes: Node[];
	samples: number[];
	timeDeltas: number[];
}

const [file, ...wanted] = process.argv.slice(2);
const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));

const short = (url: string) => url.replace(/^.*\/(build|node_modules)\//, '$1/').replace(/^file:\/\//, '');
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idleUs = [...selfUs].filter(([id]) => ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName)).reduce((a, [, v]) => a + v, 0);

function top(map: Map<string, number>, n: number): void {
	for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`);
}

const selfByFn = new Map<string, number>();
const selfByFile = new Map<string, number>();
for (const [id, us] of selfUs) {
	const n = byId.get(id)!;
	selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
	const f = short(n.callFrame.url) || n.callFrame.functionName;
	selfByFile.set(f, (selfByFile.get(f) ?? 0) + us);
}
console.log(`total ${(totalUs / 1000).toFixed(0)} ms, idle/program ${(idleUs / 1000).toFixed(0)} ms\n-- self time by function`);
top(selfByFn, 25);
console.log('-- self time by file');
top(selfByFile, 15);

// Inclusive: a sample counts for a function if the function is on its stack (once per sample).
for (const name of wanted) {
	let us = 0;
	prof.samples.forEach((id, i) => {
		for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
			if (byId.get(cur)!.callFrame.functionName === name) {
				us += prof.timeDeltas[i] ?? 0;
				break;
			}
		}
	});
	console.log(`inclusive ${name}: ${(us / 1000).toFixed(0)} ms`);
}
