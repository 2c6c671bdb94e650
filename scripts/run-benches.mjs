// Compiles and runs every benchmark of the current package (bench/**/*.bench.ts -> dist-bench/), one
// after another, each in its own process so one bench's garbage and page cache do not colour the next.
// Usage (from a package): node ../../scripts/run-benches.mjs [name-filter]
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const sources = existsSync("bench")
  ? readdirSync("bench", { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".bench.ts"))
  : [];
if (sources.length === 0) {
  console.log(`no benchmarks in ${process.cwd()}`);
  process.exit(0);
}
const tscBin = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const tsc = spawnSync(process.execPath, [tscBin, "-p", "tsconfig.bench.json"], {
  stdio: "inherit",
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const only = process.argv[2];
const files = readdirSync("dist-bench", { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".bench.js") && (!only || f.includes(only)))
  .sort();
let failed = 0;
for (const file of files) {
  const { status } = spawnSync(process.execPath, ["--expose-gc", join("dist-bench", file)], {
    stdio: "inherit",
  });
  if (status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
