import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  calMsgLength,
  CRC32_RESERVED_LENGTH,
  messagePropertiesToString,
} from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import { MessageStore } from "../src/message-store.js";
import { silentLogger, tempDir } from "./helpers.js";
import { messageAt, readBodies, waitDispatched } from "./store-test-kit.js";

const TOPIC = "BatchTopic";
const CL_FILE_SIZE = 8 * 1024;

function batch(count: number, extra: Partial<MessageInput> = {}, prefix = "body"): MessageInput[] {
  const keys = String(Date.now());
  return Array.from({ length: count }, (_, i) => ({
    topic: TOPIC,
    body: Buffer.from(`${prefix}${i}`),
    tags: "TAG1",
    keys,
    properties: { extraKey: "extraValue" },
    ...extra,
  }));
}

// RocketMQ BatchPutMessageTest (research §9.5): CL 8 KiB, CQ 4 KiB, SYNC_FLUSH.
describe("MessageStore.putMessages (BatchPutMessageTest)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MessageStore;
  const config = (extra: MessageStoreConfigInput = {}): MessageStoreConfigInput => ({
    storePathRootDir: dir,
    mappedFileSizeCommitLog: CL_FILE_SIZE,
    mappedFileSizeConsumeQueue: 4 * 1024,
    flushDiskType: "SYNC_FLUSH",
    flushIntervalConsumeQueue: 1,
    ...extra,
  });
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir("batch-test-"));
    store = await MessageStore.open(config(), { logger: silentLogger });
  });
  afterEach(async () => {
    await store.shutdown();
    await cleanup();
  });

  for (const [name, bornHost] of [
    ["IPv4", "127.0.0.1:8888"],
    ["IPv6", "[1050::5:600:300c:326b]:8888"],
  ] as const) {
    it(`testPutMessages (${name}): a batch of 10 is PUT_OK, each record found at its cumulative offset and by queue offset`, async () => {
      const messages = batch(10, { bornHost });
      const result = await store.putMessages(messages);
      expect(result.status).toBe("PUT_OK");
      const append = result.appendResult;
      if (append === undefined) throw new Error("no append result");
      expect(append.msgNum).toBe(10);
      expect(append.logicsOffset).toBe(0);
      expect(append.msgId.split(",")).toHaveLength(10);

      let offset = append.wroteOffset;
      for (let i = 0; i < 10; i++) {
        const found = await messageAt(store, offset);
        expect(found.body.toString()).toBe(`body${i}`);
        expect(found.queueOffset).toBe(i);
        expect(found.properties.extraKey).toBe("extraValue");
        expect(found.storeTimestamp).toBe(append.storeTimestamp);
        // Decoded properties leave out the store's CRC property, which ends every record.
        const propertiesLength =
          Buffer.byteLength(messagePropertiesToString(found.properties)) + CRC32_RESERVED_LENGTH;
        expect(found.totalSize).toBe(
          calMsgLength(found.sysFlag, `body${i}`.length, TOPIC.length, propertiesLength),
        );
        offset += found.totalSize;
      }
      expect(offset).toBe(append.wroteOffset + append.wroteBytes);
      await waitDispatched(store, TOPIC, 10);
      for (let i = 0; i < 10; i++)
        expect((await store.getMessage("group", TOPIC, 0, i, 1)).status).toBe("FOUND");
    });
  }

  it("testPutLongBatchMessage: bodies adding up to more than maxMessageSize are MESSAGE_ILLEGAL and nothing is stored", async () => {
    await store.shutdown();
    store = await MessageStore.open(config({ maxMessageSize: 1024 }), { logger: silentLogger });
    const ok = await store.putMessages(batch(2));
    expect(ok.status).toBe("PUT_OK");
    const maxPhy = store.getMaxPhyOffset();
    const tooBig = Array.from({ length: 3 }, (_, i): MessageInput => ({
      topic: TOPIC,
      body: Buffer.alloc(400, i),
    }));
    const result = await store.putMessages(tooBig);
    expect(result.status).toBe("MESSAGE_ILLEGAL");
    expect(result.appendResult).toBeUndefined();
    expect(store.getMaxPhyOffset()).toBe(maxPhy);
    await waitDispatched(store, TOPIC, 2);
    expect(store.getMaxOffsetInQueue(TOPIC, 0)).toBe(2);
    expect((await store.putMessages(batch(1))).appendResult?.logicsOffset).toBe(2);
  });

  it("refuses an empty batch and one that mixes queues, storing nothing", async () => {
    expect((await store.putMessages([])).status).toBe("MESSAGE_ILLEGAL");
    const mixed = [...batch(2), { topic: TOPIC, queueId: 1, body: Buffer.from("x") }];
    expect((await store.putMessages(mixed)).status).toBe("MESSAGE_ILLEGAL");
    expect(store.getMaxPhyOffset()).toBe(0);
  });

  it("moves a batch that does not fit the rest of a file whole into the next one, keeping its queue offsets", async () => {
    const first = await store.putMessages(batch(30, {}, "a"));
    expect(first.status).toBe("PUT_OK");
    const used = store.getMaxPhyOffset();
    expect(used).toBeLessThan(CL_FILE_SIZE);
    const second = await store.putMessages(batch(30, {}, "b"));
    expect(second.status).toBe("PUT_OK");
    expect(second.appendResult?.wroteOffset).toBe(CL_FILE_SIZE);
    expect(second.appendResult?.logicsOffset).toBe(30);
    await waitDispatched(store, TOPIC, 60);
    const got = await readBodies(store, TOPIC);
    expect(got).toEqual([
      ...Array.from({ length: 30 }, (_, i) => `a${i}`),
      ...Array.from({ length: 30 }, (_, i) => `b${i}`),
    ]);
  });

  it("mixes single puts and batches in one queue with consecutive queue offsets, also after a restart", async () => {
    expect(
      (await store.putMessage({ topic: TOPIC, body: Buffer.from("single0") })).appendResult
        ?.logicsOffset,
    ).toBe(0);
    expect((await store.putMessages(batch(5))).appendResult?.logicsOffset).toBe(1);
    expect(
      (await store.putMessage({ topic: TOPIC, body: Buffer.from("single6") })).appendResult
        ?.logicsOffset,
    ).toBe(6);
    await waitDispatched(store, TOPIC, 7);
    await store.shutdown();
    store = await MessageStore.open(config(), { logger: silentLogger });
    expect((await store.putMessages(batch(2))).appendResult?.logicsOffset).toBe(7);
    await waitDispatched(store, TOPIC, 9);
    expect(await readBodies(store, TOPIC)).toEqual([
      "single0",
      "body0",
      "body1",
      "body2",
      "body3",
      "body4",
      "single6",
      "body0",
      "body1",
    ]);
  });
});

describe("MessageStore.putMessages with batch-level properties", () => {
  it("adds them to every record, as RocketMQ's testPutMessages expects (propsLen + batchPropLen + 1)", async () => {
    const { dir, cleanup } = await tempDir("batch-props-");
    const store = await MessageStore.open(
      { storePathRootDir: dir, mappedFileSizeCommitLog: CL_FILE_SIZE, flushDiskType: "SYNC_FLUSH" },
      { logger: silentLogger },
    );
    try {
      const messages = batch(10).map(({ properties: _own, ...message }) => message);
      const result = await store.putMessages(messages, { extraKey: "extraValue" });
      expect(result.status).toBe("PUT_OK");
      let offset = result.appendResult?.wroteOffset ?? -1;
      for (let i = 0; i < 10; i++) {
        const found = await messageAt(store, offset);
        expect(found?.properties.extraKey).toBe("extraValue");
        expect(found?.properties.TAGS).toBe("TAG1");
        const own = messagePropertiesToString({
          KEYS: messages[i]?.keys as string,
          TAGS: "TAG1",
        }).length;
        const batchOnly = messagePropertiesToString({ extraKey: "extraValue" }).length;
        expect(found?.totalSize).toBe(
          calMsgLength(0, `body${i}`.length, TOPIC.length, own + batchOnly + CRC32_RESERVED_LENGTH),
        );
        offset += found?.totalSize ?? 0;
      }
      const serialized = JSON.parse(JSON.stringify(result.appendResult)) as { msgId: string };
      expect(serialized.msgId.split(",")).toHaveLength(10);
    } finally {
      await store.shutdown();
      await cleanup();
    }
  });
});
