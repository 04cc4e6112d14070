#!/usr/bin/env node
// Adds up the JSON reports of vitest (unit, integration, security) and Playwright (e2e) into one closing
// line: "tests: N passed, N failed, N skipped". The run fails when a report is missing (that suite did not
// finish), when a test file failed to load (it ran none of its tests), when anything was skipped (a skip
// hides a claim nobody checked), or when nothing passed at all.
import fs from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];

/** Failed files whose tests never ran: a syntax error, a failing import, a throwing top-level line. */
function loadFailures(report) {
	return (report.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).every((a) => a.status !== 'failed'));
}

for (const file of process.argv.slice(2)) {
	let report;
	try {
		report = JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch {
		problems.push(`no report at ${file} (that suite did not finish)`);
		continue;
	}
	if (report.stats && 'expected' in report.stats) {
		// Playwright
		passed += report.stats.expected + (report.stats.flaky ?? 0);
		failed += report.stats.unexpected;
		skipped += report.stats.skipped;
		for (const e of report.errors ?? []) problems.push(`e2e: ${String(e.message ?? e).split('\n')[0]}`);
	} else {
		// vitest (jest-compatible JSON)
		passed += report.numPassedTests ?? 0;
		failed += report.numFailedTests ?? 0;
		skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
		const unloaded = loadFailures(report);
		for (const f of unloaded) problems.push(`${f.name}: failed to load (${String(f.message ?? '').split('\n')[0]})`);
		if (report.success === false && !report.numFailedTests && unloaded.length === 0) problems.push(`${file}: the runner reported failure`);
	}
}
for (const p of problems) console.error(`test-summary: ${p}`);
if (skipped > 0) console.error(`test-summary: ${skipped} test(s) skipped; a skipped test counts against the run`);
console.log(`tests: ${passed} passed, ${failed + problems.length} failed, ${skipped} skipped`);
process.exit(failed + problems.length > 0 || skipped > 0 || passed === 0 ? 1 : 0);
