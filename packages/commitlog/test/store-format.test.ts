import { cp, readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { VirtualClock } from "@store/mapped-file/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeMessage } from "@store/message-codec";
import { MessageStore } from "../src/message-store.js";
import type { FIXTURE_CONFIG, FixtureRecord } from "./fixtures/store-v1-messages.mjs";
import {
  FIXTURE_MESSAGE_COUNT,
  FIXTURE_START_MS,
  fixtureMessage,
  putFixtureMessages,
} from "./fixtures/store-v1-messages.mjs";
import { silentLogger, tempDir } from "./helpers.js";

// The on-disk format is a semver contract: a store written by a release opens in every later release
// of the same major version. This fixture was written by test/fixtures/write-store-v1.mjs; if a test
// here fails, the format changed, which needs a major version bump (CONTRIBUTING.md).
const FIXTURE = fileURLToPath(new URL("./fixtures/store-v1", import.meta.url));
const golden = JSON.parse(
  await readFile(fileURLToPath(new URL("./fixtures/store-v1.json", import.meta.url)), "utf8"),
) as {
  config: typeof FIXTURE_CONFIG;
  messages: FixtureRecord[];
};

/** Every file under `dir`, by path relative to it. */
async function filesUnder(dir: string, only: RegExp): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && only.test(relative(dir, path)))
      files.set(relative(dir, path), await readFile(path));
  }
  return files;
}

describe("MessageStore on-disk format v1", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir("store-format-")));
  afterEach(async () => cleanup());

  it("opens the v1 fixture store and serves every message byte for byte", async () => {
    await cp(FIXTURE, dir, { recursive: true });
    const store = await MessageStore.open(
      { storePathRootDir: dir, ...golden.config },
      { logger: silentLogger },
    );
    try {
      expect(store.recovery.mode).toBe("normal");
      expect(golden.messages).toHaveLength(FIXTURE_MESSAGE_COUNT);
      for (const [i, expected] of golden.messages.entries()) {
        const pulled = await store.getMessage(
          "golden",
          expected.topic,
          expected.queueId,
          expected.queueOffset,
          1,
        );
        expect(pulled.status).toBe("FOUND");
        expect(pulled.messages[0]?.toString("hex")).toBe(expected.hex);
        const decoded = decodeMessage(Buffer.from(expected.hex, "hex"));
        if (!decoded.ok) throw new Error(`record ${i}: ${decoded.reason}`);
        const input = fixtureMessage(i);
        expect(decoded.message).toMatchObject({
          topic: input.topic,
          queueId: input.queueId,
          flag: input.flag,
          bornTimestamp: input.bornTimestamp,
        });
        expect(decoded.message.body.toString()).toBe(input.body.toString());
        expect(decoded.message.properties.KEYS).toBe(expected.key);
        expect(decoded.message.storeTimestamp).toBe(FIXTURE_START_MS + i);
        expect((await store.lookMessageByOffset(expected.physicalOffset))?.body.toString()).toBe(
          input.body.toString(),
        );
        const found = await store.queryMessage(
          expected.topic,
          expected.key,
          32,
          0,
          Number.MAX_SAFE_INTEGER,
        );
        expect(found.messages.map((record) => record.toString("hex"))).toEqual([expected.hex]);
      }
      for (const [topic, queueId] of [
        ["orders", 0],
        ["orders", 1],
        ["payments", 0],
        ["payments", 1],
      ] as const) {
        const count = golden.messages.filter(
          (m) => m.topic === topic && m.queueId === queueId,
        ).length;
        expect(store.getMaxOffsetInQueue(topic, queueId)).toBe(count);
      }
    } finally {
      await store.shutdown();
    }
  });

  it("writes the same messages into the same bytes: commit log and consume queues", async () => {
    const clock = new VirtualClock(FIXTURE_START_MS);
    const store = await MessageStore.open(
      { storePathRootDir: dir, ...golden.config },
      { logger: silentLogger, clock },
    );
    const written = await putFixtureMessages(store, clock);
    await store.shutdown();
    expect(written).toEqual(golden.messages);
    const formats = /^(commitlog|consumequeue)\//;
    const expected = await filesUnder(FIXTURE, formats);
    const actual = await filesUnder(dir, formats);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, bytes] of expected) expect(actual.get(path)?.equals(bytes), path).toBe(true);
  });
});
