import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeMessage, javaStringHashCode } from "@store/message-codec";
import { MessageStore } from "../src/message-store.js";
import { silentLogger, tempDir, waitFor } from "./helpers.js";

describe("MessageStore.getMessage with a consume-queue filter", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  async function storeWith(tags: string[]): Promise<MessageStore> {
    const store = await MessageStore.open(
      {
        storePathRootDir: dir,
        mappedFileSizeCommitLog: 1024 * 1024,
        mappedFileSizeConsumeQueue: 2000 * 20,
      },
      { logger: silentLogger },
    );
    for (const [i, tag] of tags.entries())
      expect(
        (await store.putMessage({ topic: "T", body: Buffer.from(`m${i}`), tags: tag })).status,
      ).toBe("PUT_OK");
    await waitFor(() => store.getMaxOffsetInQueue("T", 0) === tags.length);
    return store;
  }

  const only = (tag: string) => (tagsCode: number) => tagsCode === javaStringHashCode(tag);
  const bodies = (messages: Buffer[]) =>
    messages.map((m) => {
      const d = decodeMessage(m);
      return d.ok ? d.message.body.toString() : "?";
    });

  it("returns only matching messages and advances past the skipped ones", async () => {
    const store = await storeWith(["A", "B", "A", "B", "B"]);
    try {
      const got = await store.getMessage("g", "T", 0, 0, 32, only("A"));
      expect(got.status).toBe("FOUND");
      expect(bodies(got.messages)).toEqual(["m0", "m2"]);
      expect(got.nextBeginOffset).toBe(5);
    } finally {
      await store.shutdown();
    }
  });

  it("stops after maxMsgNums matches with nextBeginOffset just past the last one", async () => {
    const store = await storeWith(["A", "B", "A", "B", "A"]);
    try {
      const got = await store.getMessage("g", "T", 0, 0, 2, only("A"));
      expect(bodies(got.messages)).toEqual(["m0", "m2"]);
      expect(got.nextBeginOffset).toBe(3);
    } finally {
      await store.shutdown();
    }
  });

  it("answers NO_MATCHED_MESSAGE past everything scanned when nothing matches", async () => {
    const store = await storeWith(["B", "B", "B"]);
    try {
      const got = await store.getMessage("g", "T", 0, 0, 32, only("A"));
      expect(got.status).toBe("NO_MATCHED_MESSAGE");
      expect(got.messages).toHaveLength(0);
      expect(got.nextBeginOffset).toBe(3);
    } finally {
      await store.shutdown();
    }
  });
});
