#!/usr/bin/env node
// Adds up the JSON reports of vitest (unit, integration) and Playwright (e2e) into one closing line:
// "tests: N passed, N failed, N skipped". A missing report counts as a failure: a suite that did not run
// must not look green.
import fs from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
for (const file of process.argv.slice(2)) {
	let report;
	try {
		report = JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch {
		console.error(`test-summary: no report at ${file} (that suite did not finish)`);
		missing++;
		continue;
	}
	if (report.stats && 'expected' in report.stats) {
		// Playwright
		passed += report.stats.expected + (report.stats.flaky ?? 0);
		failed += report.stats.unexpected;
		skipped += report.stats.skipped;
	} else {
		// vitest (jest-compatible JSON)
		passed += report.numPassedTests ?? 0;
		failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
		skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
		if (report.success === false && (report.numFailedTests ?? 0) === 0) failed += 1;
	}
}
console.log(`tests: ${passed} passed, ${failed + missing} failed, ${skipped} skipped`);
process.exit(failed + missing > 0 || passed === 0 ? 1 : 0);
