// The consumer test: what a user who installs our packages from the registry gets. Packs every
// publishable package with pnpm, installs the tarballs with plain npm into empty projects under the OS
// temp dir (no workspace links), and checks them: publint and @arethetypeswrong/cli (ESM-only
// profile) on each package as installed; tsc --noEmit of a file using every package's API under
// `moduleResolution: nodenext` and `bundler` (skipLibCheck off); each package's README examples
// (examples/*.ts), compiled and run; @store/mapped-file + @store/file-queue installed alone.
// Writes consumer-test-results.json (read by scripts/test-summary.mjs) and prints one line per check.
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const ATTW = join(ROOT, "node_modules/@arethetypeswrong/cli/dist/index.js");
const TYPES_NODE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).devDependencies[
  "@types/node"
];
/** What each example must print (a line it prints when it worked). */
const EXPECTED_OUTPUT = {
  "mapped-file/segment-file": "hello, commit log",
  "file-queue/file-queue": "hello, log",
  "flush-services/group-commit": "PUT_OK 20",
  "commitlog/message-store": "hello 0",
  "message-codec/message-codec": "orders hello new o-1 true",
  "broker/broker": "received TagA hello",
  "proxy/proxy": "TagA hello attempt 1",
};
/** Clients the broker and proxy examples use, at the versions their packages test with. */
const EXAMPLE_CLIENTS = ["ali-ons", "rocketmq-client-nodejs"];

const started = Date.now();
const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (error) {
    results.push({ name, ok: false });
    const detail = [error.message, error.stdout, error.stderr].filter(Boolean).join("\n").trim();
    console.log(`FAIL ${name}\n${detail.replace(/^/gm, "     ")}`);
  }
}

const packages = readdirSync(join(ROOT, "packages"))
  .map((dir) => ({
    dir: join(ROOT, "packages", dir),
    short: dir,
    manifest: JSON.parse(readFileSync(join(ROOT, "packages", dir, "package.json"), "utf8")),
  }))
  .filter((pkg) => !pkg.manifest.private);
const work = mkdtempSync(join(tmpdir(), "store-consumer-"));
const tarballDir = join(work, "tarballs");
mkdirSync(tarballDir);

for (const pkg of packages) {
  await check(`pack ${pkg.manifest.name}`, async () => {
    const before = new Set(readdirSync(tarballDir));
    await run("pnpm", ["pack", "--pack-destination", tarballDir], { cwd: pkg.dir });
    const made = readdirSync(tarballDir).filter((file) => !before.has(file));
    if (made.length !== 1) throw new Error(`expected one tarball, got ${made.join(", ")}`);
    pkg.tarball = join(tarballDir, made[0]);
  });
}
const packed = packages.filter((pkg) => pkg.tarball !== undefined);

/** An empty npm project with these tarballs (and @types/node) installed. */
async function project(name, pkgs) {
  const dir = join(work, name);
  mkdirSync(dir);
  const deps = Object.fromEntries(pkgs.map((pkg) => [pkg.manifest.name, `file:${pkg.tarball}`]));
  const clients = {};
  for (const pkg of pkgs) {
    for (const client of EXAMPLE_CLIENTS)
      if (pkg.manifest.devDependencies?.[client])
        clients[client] = pkg.manifest.devDependencies[client];
  }
  // overrides: a package's dependency on another of ours resolves to its tarball, never the registry.
  const dependencies = { ...deps, ...clients, "@types/node": TYPES_NODE };
  const manifest = {
    name: `consumer-${name}`,
    private: true,
    type: "module",
    dependencies,
    overrides: deps,
  };
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  // Slow only the first time: later runs install from npm's cache.
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
    cwd: dir,
    timeout: 300_000,
  });
  return dir;
}

/** Copies the packages' examples into `dir/examples/<package>/`, returns their names. */
function copyExamples(dir, pkgs) {
  const names = [];
  for (const pkg of pkgs) {
    const examples = join(pkg.dir, "examples");
    if (!existsSync(examples)) continue;
    for (const file of readdirSync(examples)) {
      // .ts examples are compiled to build/examples/; .mjs ones (untyped clients) run as they are.
      const into = join(dir, file.endsWith(".ts") ? "examples" : "build/examples", pkg.short);
      mkdirSync(into, { recursive: true });
      cpSync(join(examples, file), join(into, file));
      names.push(`${pkg.short}/${file}`);
    }
  }
  return names;
}

function tsconfig(dir, file, compilerOptions, include) {
  const base = {
    target: "ES2023",
    lib: ["ES2023"],
    strict: true,
    skipLibCheck: false,
    types: ["node"],
    outDir: "build",
    rootDir: ".",
  };
  writeFileSync(
    join(dir, file),
    JSON.stringify({ compilerOptions: { ...base, ...compilerOptions }, include }, null, 2),
  );
}

async function runExamples(dir, names) {
  for (const name of names) {
    await check(`README example ${name} runs`, async () => {
      const file = join(dir, "build", "examples", name.replace(/\.ts$/, ".js"));
      const { stdout } = await run(process.execPath, [file], { cwd: dir, timeout: 90_000 });
      const expected = EXPECTED_OUTPUT[name.replace(/\.m?[jt]s$/, "")];
      if (expected === undefined)
        throw new Error(`no expected output listed for ${name} in consumer-test.mjs`);
      if (!stdout.includes(expected))
        throw new Error(`expected output containing ${JSON.stringify(expected)}, got:\n${stdout}`);
    });
  }
}

let full = null;
await check("npm install every tarball into an empty project", async () => {
  full = await project("full", packed);
});
if (full !== null) {
  for (const pkg of packed) {
    const installed = join(full, "node_modules", pkg.manifest.name);
    await check(`publint --strict ${pkg.manifest.name}`, async () => {
      const { publint } = await import(join(ROOT, "node_modules/publint/src/index-node.js"));
      const { formatMessage } = await import(join(ROOT, "node_modules/publint/src/utils.js"));
      const { messages, pkg: manifest } = await publint({
        pkgDir: installed,
        pack: false,
        strict: true,
        level: "suggestion",
      });
      if (messages.length > 0)
        throw new Error(messages.map((m) => formatMessage(m, manifest)).join("\n"));
    });
    await check(`attw --profile esm-only ${pkg.manifest.name}`, async () => {
      await run(
        process.execPath,
        [ATTW, pkg.tarball, "--profile", "esm-only", "--format", "ascii"],
        { cwd: full, timeout: 60_000 },
      );
    });
  }
  cpSync(join(ROOT, "scripts/consumer/api-usage.ts"), join(full, "api-usage.ts"));
  const names = copyExamples(full, packed);
  tsconfig(full, "tsconfig.nodenext.json", { module: "nodenext", moduleResolution: "nodenext" }, [
    "api-usage.ts",
    "examples",
  ]);
  tsconfig(
    full,
    "tsconfig.bundler.json",
    { module: "esnext", moduleResolution: "bundler", noEmit: true },
    ["api-usage.ts", "examples"],
  );
  await check("tsc --noEmit, moduleResolution bundler: the API and the examples", async () => {
    await run(process.execPath, [TSC, "-p", "tsconfig.bundler.json"], {
      cwd: full,
      timeout: 120_000,
    });
  });
  let compiled = false;
  await check("tsc, moduleResolution nodenext: the API and the examples", async () => {
    await run(process.execPath, [TSC, "-p", "tsconfig.nodenext.json"], {
      cwd: full,
      timeout: 120_000,
    });
    compiled = true;
  });
  if (compiled) await runExamples(full, names);
}

const lower = packed.filter((pkg) =>
  ["@store/mapped-file", "@store/file-queue"].includes(pkg.manifest.name),
);
let alone = null;
await check("npm install @store/mapped-file + @store/file-queue alone", async () => {
  alone = await project("alone", lower);
  const ours = readdirSync(join(alone, "node_modules", "@store")).sort();
  if (ours.join() !== "file-queue,mapped-file") throw new Error(`installed ${ours.join(", ")}`);
});
if (alone !== null) {
  const names = copyExamples(alone, lower);
  tsconfig(alone, "tsconfig.json", { module: "nodenext", moduleResolution: "nodenext" }, [
    "examples",
  ]);
  let compiled = false;
  await check("tsc, alone: mapped-file + file-queue examples", async () => {
    await run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: alone, timeout: 120_000 });
    compiled = true;
  });
  if (compiled)
    await runExamples(
      alone,
      names.map((name) => name),
    );
}

const failed = results.filter((r) => !r.ok).length;
const seconds = (Date.now() - started) / 1000;
writeFileSync(
  join(ROOT, "consumer-test-results.json"),
  JSON.stringify(
    {
      numPassedTests: results.length - failed,
      numFailedTests: failed,
      numPendingTests: 0,
      numTodoTests: 0,
      success: failed === 0,
      seconds,
    },
    null,
    2,
  ),
);
if (failed === 0) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work} for inspection`);
console.log(
  `consumer test: ${results.length - failed} passed, ${failed} failed in ${seconds.toFixed(0)} s`,
);
if (failed > 0) process.exitCode = 1;
