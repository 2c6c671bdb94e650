import { stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeMessage } from "@store/message-codec";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import { MessageStore } from "../src/message-store.js";
import { silentLogger, tempDir } from "./helpers.js";
import {
  BODY,
  bodies,
  message,
  messageAt,
  putMany,
  putOk,
  readBodies,
  waitDispatched,
} from "./store-test-kit.js";

const TOPIC = "FooBar";

// RocketMQ DefaultMessageStoreTest (research §9.6), the parts that need no crash: real files in a temp dir.
describe("MessageStore (DefaultMessageStoreTest)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MessageStore | null = null;
  beforeEach(async () => ({ dir, cleanup } = await tempDir("message-store-test-")));
  afterEach(async () => {
    await store?.shutdown();
    store = null;
    await cleanup();
  });

  const config = (extra: MessageStoreConfigInput = {}): MessageStoreConfigInput => ({
    storePathRootDir: dir,
    mappedFileSizeCommitLog: 64 * 1024,
    mappedFileSizeConsumeQueue: 1000 * 20,
    flushDiskType: "SYNC_FLUSH",
    flushIntervalConsumeQueue: 1,
    ...extra,
  });
  const open = async (extra: MessageStoreConfigInput = {}): Promise<MessageStore> => {
    store = await MessageStore.open(config(extra), { logger: silentLogger });
    return store;
  };

  it("testStorePathOK: creates the commitlog and consumequeue directories, the abort and lock files", async () => {
    await open();
    for (const name of ["commitlog", "consumequeue"])
      expect((await stat(join(dir, name))).isDirectory()).toBe(true);
    for (const name of ["abort", "lock", "checkpoint"])
      expect((await stat(join(dir, name))).isFile()).toBe(true);
  });

  it("testWriteAndRead: 10 IPv4 and 10 IPv6 born hosts are readable by queue offset, and 20 more puts work", async () => {
    const s = await open();
    await putMany(s, TOPIC, 10, 0, { bornHost: "127.0.0.1:8888" });
    await putMany(s, TOPIC, 10, 10, { bornHost: "[1050:0:0:0:5:600:300c:326b]:8888" });
    await waitDispatched(s, TOPIC, 20);
    for (let i = 0; i < 20; i++) {
      const got = await s.getMessage("group", TOPIC, 0, i, 1);
      expect(got.status).toBe("FOUND");
      const decoded = decodeMessage(got.messages[0] ?? Buffer.alloc(0));
      if (!decoded.ok) throw new Error(decoded.reason);
      expect(decoded.message.body?.toString()).toBe(`${BODY} ${i}`);
      expect(decoded.message.bornHost).toBe(
        i < 10 ? "127.0.0.1:8888" : "[1050::5:600:300c:326b]:8888",
      );
    }
    await putMany(s, TOPIC, 20, 20);
    await waitDispatched(s, TOPIC, 40);
    expect(await readBodies(s, TOPIC)).toEqual(bodies(40));
  });

  it("testLookMessageByOffset: first and last are found, the end of the log is null", async () => {
    const s = await open();
    const results = await putMany(s, TOPIC, 10);
    const first = results[0]?.appendResult;
    const last = results[9]?.appendResult;
    if (first === undefined || last === undefined) throw new Error("no append result");
    expect((await messageAt(s, first.wroteOffset)).body.toString()).toBe(`${BODY} 0`);
    expect((await messageAt(s, last.wroteOffset)).body.toString()).toBe(`${BODY} 9`);
    expect(await s.lookMessageByOffset(last.wroteOffset + last.wroteBytes)).toBeNull();
    expect(await s.lookMessageByOffset(s.getMaxPhyOffset() + 1000)).toBeNull();
  });

  it("testGetOffsetInQueueByTime: the first queue offset stored at or after a time", async () => {
    const s = await open();
    const stamps: number[] = [];
    for (let i = 0; i < 8; i++) {
      const result = await putOk(s, message(TOPIC, i));
      const stamp = result.appendResult?.storeTimestamp ?? 0;
      stamps.push(stamp);
      // The next put must get a later store time: wait for the clock to pass this one.
      while (Date.now() <= stamp) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitDispatched(s, TOPIC, 8);
    for (let i = 0; i < 8; i++)
      expect(await s.getOffsetInQueueByTime(TOPIC, 0, stamps[i] ?? 0)).toBe(i);
    expect(await s.getOffsetInQueueByTime(TOPIC, 0, (stamps[3] ?? 0) + 1)).toBe(4);
    expect(await s.getOffsetInQueueByTime(TOPIC, 0, 0)).toBe(0);
    expect(await s.getOffsetInQueueByTime(TOPIC, 0, (stamps[7] ?? 0) + 1)).toBe(8);
    expect(await s.getOffsetInQueueByTime("NoSuchTopic", 0, Date.now())).toBe(0);
    // getStoreTime of a phyOffset below the log's min offset is -1
    expect(await s.getStoreTimestamp(-1, 100)).toBe(-1);
  });

  it("testPutMsgExceedsMaxLength: a 4 MiB + 1 body is MESSAGE_ILLEGAL and nothing is stored", async () => {
    const s = await open();
    const result = await s.putMessage({ topic: TOPIC, body: Buffer.alloc(4 * 1024 * 1024 + 1) });
    expect(result.status).toBe("MESSAGE_ILLEGAL");
    expect(result.appendResult).toBeUndefined();
    expect(s.getMaxPhyOffset()).toBe(0);
  });

  it("testDynamicMaxMessageSize: the limit set on commitLog.maxMessageSize applies to the next put", async () => {
    const max = 1024;
    const s = await open({ maxMessageSize: max });
    const body = Buffer.alloc(max + 10, 1);
    expect((await s.putMessage({ topic: TOPIC, body })).status).toBe("MESSAGE_ILLEGAL");
    s.commitLog.maxMessageSize = max + 10;
    expect((await s.putMessage({ topic: TOPIC, body })).status).toBe("PUT_OK");
    s.commitLog.maxMessageSize = 10;
    expect((await s.putMessage({ topic: TOPIC, body })).status).toBe("MESSAGE_ILLEGAL");
    await waitDispatched(s, TOPIC, 1);
    expect(s.getMaxOffsetInQueue(TOPIC, 0)).toBe(1);
  });

  it("a message accepted under a raised limit stays readable by offset and across a restart", async () => {
    const s = await open({ maxMessageSize: 1024, mappedFileSizeCommitLog: 1024 * 1024 });
    s.commitLog.maxMessageSize = 200 * 1024;
    const big = Buffer.alloc(150 * 1024, 7);
    const put = await putOk(s, { topic: TOPIC, body: big });
    await putOk(s, message(TOPIC, 1));
    const offset = put.appendResult?.wroteOffset ?? -1;
    expect((await messageAt(s, offset)).body.equals(big)).toBe(true);
    await waitDispatched(s, TOPIC, 2);
    await s.shutdown();
    const again = await open({ maxMessageSize: 1024, mappedFileSizeCommitLog: 1024 * 1024 });
    expect(again.getMaxOffsetInQueue(TOPIC, 0)).toBe(2);
    expect((await messageAt(again, offset)).body.equals(big)).toBe(true);
  });

  it("testPutMessage_whenMessagePropertyIsTooLong: 32768 chars is PROPERTIES_SIZE_EXCEEDED, 100 is PUT_OK", async () => {
    const s = await open();
    const tooLong = await s.putMessage({
      topic: TOPIC,
      body: Buffer.from(BODY),
      properties: { key: "a".repeat(32768) },
    });
    expect(tooLong.status).toBe("PROPERTIES_SIZE_EXCEEDED");
    expect(s.getMaxOffsetInQueue(TOPIC, 0)).toBe(0);
    expect(s.getMaxPhyOffset()).toBe(0);
    await putOk(s, { topic: TOPIC, body: Buffer.from(BODY), properties: { key: "a".repeat(100) } });
    await waitDispatched(s, TOPIC, 1);
    expect(s.getMaxOffsetInQueue(TOPIC, 0)).toBe(1);
  });

  it("testPullSize: 32 messages; pulls of 32, 20 and 10 return that many (default pull limit 32)", async () => {
    const s = await open();
    await putMany(s, TOPIC, 32);
    await waitDispatched(s, TOPIC, 32);
    for (const wanted of [32, 20, 10]) {
      const got = await s.getMessage("group", TOPIC, 0, 0, wanted);
      expect(got.status).toBe("FOUND");
      expect(got.messages).toHaveLength(wanted);
      expect(got.nextBeginOffset).toBe(wanted);
    }
    // The default limit is 32 messages per pull, as RocketMQ's maxTransferCountOnMessageInMemory.
    await putMany(s, TOPIC, 8, 32);
    await waitDispatched(s, TOPIC, 40);
    expect((await s.getMessage("group", TOPIC, 0, 0, 64)).messages).toHaveLength(32);
  });

  it("getMessage statuses: no queue, empty range, overflow by one and badly", async () => {
    const s = await open();
    expect((await s.getMessage("group", TOPIC, 0, 0, 1)).status).toBe("NO_MATCHED_LOGIC_QUEUE");
    await putMany(s, TOPIC, 3);
    await waitDispatched(s, TOPIC, 3);
    const one = await s.getMessage("group", TOPIC, 0, 3, 1);
    expect(one).toMatchObject({
      status: "OFFSET_OVERFLOW_ONE",
      nextBeginOffset: 3,
      minOffset: 0,
      maxOffset: 3,
    });
    const badly = await s.getMessage("group", TOPIC, 0, 10, 1);
    expect(badly.status).toBe("OFFSET_OVERFLOW_BADLY");
    const found = await s.getMessage("group", TOPIC, 0, 1, 32);
    expect(found).toMatchObject({ status: "FOUND", nextBeginOffset: 3 });
    expect(found.bufferTotalSize).toBe(found.messages.reduce((sum, m) => sum + m.length, 0));
  });

  it("keeps queues of one topic apart and the queue offsets per queue", async () => {
    const s = await open();
    for (let i = 0; i < 6; i++) {
      const put = await putOk(s, message(TOPIC, i, { queueId: i % 3 }));
      expect(put.appendResult?.logicsOffset).toBe(Math.floor(i / 3));
    }
    for (let q = 0; q < 3; q++) {
      await waitDispatched(s, TOPIC, 2, q);
      expect(await readBodies(s, TOPIC, q)).toEqual([`${BODY} ${q}`, `${BODY} ${q + 3}`]);
    }
  });

  it("refuses puts after shutdown with SERVICE_NOT_AVAILABLE", async () => {
    const s = await open();
    await s.shutdown();
    expect(s.isShutdown).toBe(true);
    expect((await s.putMessage(message(TOPIC, 0))).status).toBe("SERVICE_NOT_AVAILABLE");
    expect((await s.putMessages([message(TOPIC, 0)])).status).toBe("SERVICE_NOT_AVAILABLE");
    await s.shutdown(); // idempotent
  });
});
