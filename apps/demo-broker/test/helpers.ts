import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { pino } from "pino";
import { parseCommandLine } from "../src/config-loader.js";
import type { DemoConfig } from "../src/config-schema.js";

/** A silent logger for tests. */
export const silentLogger: Logger = pino({ level: "silent" });

/** A fresh temp directory, and a function that removes it. */
export async function tempDir(
  prefix = "demo-broker-test-",
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Polls `condition` every 5 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Random ports for everything the app serves. */
export const RANDOM_PORTS = [
  "--listenPort=0",
  "--namesrvPort=0",
  "--grpcPort=0",
  "--httpPort=0",
] as const;

/** A free TCP port on 127.0.0.1 now (for a test that needs to know a port before the process binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === "object" && address !== null ? address.port : 0),
      );
    });
  });
}

/** A config for a store in `dir` with small segments and random ports, plus `args` (--key=value). */
export function testConfig(dir: string, ...args: string[]): DemoConfig {
  // generous send-queue waits: a loaded CI machine must not turn these tests' sends into SYSTEM_BUSY
  const patient = ["--waitTimeMillsInSendQueue=10000", "--osPageCacheBusyTimeOutMills=10000"];
  const parsed = parseCommandLine([
    `--storePathRootDir=${dir}`,
    "--mappedFileSizeCommitLog=1048576",
    ...RANDOM_PORTS,
    ...patient,
    ...args,
  ]);
  if (parsed.kind !== "run") throw new Error("expected a run");
  return parsed.config;
}
