import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MessageStore } from "../src/message-store.js";
import { silentLogger, tempDir } from "./helpers.js";
import { readBodies } from "./store-test-kit.js";

const CHILD = fileURLToPath(new URL("./fixtures/put-until-killed.mjs", import.meta.url));

/** Runs the child until it printed `acks` acknowledgements, then kills it with SIGKILL. */
function putUntilKilled(
  dir: string,
  flushDiskType: string,
  pool: boolean,
  acks: number,
): Promise<Map<number, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, flushDiskType, pool ? "pool" : "none"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const acked = new Map<number, number>();
    let pending = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const [tag, offset, index] = line.split(" ");
        if (tag === "ACK") acked.set(Number(offset), Number(index));
      }
      if (acked.size >= acks && child.exitCode === null) child.kill("SIGKILL");
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
}

describe("MessageStore after kill -9 of a real process", () => {
  for (const [flushDiskType, pool] of [
    ["SYNC_FLUSH", false],
    ["SYNC_FLUSH", true],
    ["ASYNC_FLUSH", false],
  ] as const) {
    it(
      `${flushDiskType}${pool ? " + pool" : ""}: every acknowledged message is there, in order, CRC-valid`,
      { tags: ["slow"] },
      async () => {
        const { dir, cleanup } = await tempDir("kill9-");
        try {
          const acked = await putUntilKilled(dir, flushDiskType, pool, 3000);
          const store = await MessageStore.open(
            {
              storePathRootDir: dir,
              flushDiskType,
              mappedFileSizeCommitLog: 256 * 1024,
              mappedFileSizeConsumeQueue: 2000 * 20,
            },
            { logger: silentLogger },
          );
          try {
            expect(store.recovery.mode).toBe("abnormal");
            const bodies = await readBodies(store, "KillTopic"); // CRC-checked
            for (const [offset, index] of acked) {
              expect(
                bodies[offset]?.startsWith(`message-${index}-`),
                `acknowledged message ${index} at queue offset ${offset}`,
              ).toBe(true);
            }
            expect(bodies.length).toBeGreaterThanOrEqual(acked.size);
          } finally {
            await store.shutdown();
          }
        } finally {
          await cleanup();
        }
      },
    );
  }
});
