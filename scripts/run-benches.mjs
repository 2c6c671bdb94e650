// Runs every compiled benchmark of the current package (dist-bench/**/*.bench.js) one after another,
// each in its own process so one bench's garbage and page cache do not colour the next.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const root = "dist-bench";
const only = process.argv[2];
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".bench.js") && (!only || f.includes(only)))
  .sort();
let failed = 0;
for (const file of files) {
  const { status } = spawnSync(process.execPath, ["--expose-gc", join(root, file)], { stdio: "inherit" });
  if (status !== 0) failed++;
}
if (files.length === 0) console.log(`no benchmarks in ${process.cwd()}`);
process.exitCode = failed > 0 ? 1 : 0;
