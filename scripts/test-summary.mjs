// Sums every package's vitest JSON report into one plain closing line, the form CI reads.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
let reports = 0;
const files = [];
for (const group of ["packages", "apps", "tools"]) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) files.push(join(group, name, "test-results.json"));
}
// The consumer test's checks (scripts/consumer-test.mjs), in the same form.
files.push("consumer-test-results.json");
for (const file of files) {
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, "utf8"));
  reports++;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  if (!report.success && report.numFailedTests === 0) failed++; // a test file that failed to load
  skipped += report.numPendingTests + report.numTodoTests;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (reports === 0 || failed > 0) process.exitCode = 1;
