import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { afterEach, describe, expect, it } from "vitest";
import { decodeMessage } from "@store/message-codec";
import type { DecodedMessage, MessageInput } from "@store/message-codec";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import type { MessageStore } from "../src/message-store.js";
import type { QueryMessageResult } from "../src/message-query.js";
import { waitFor } from "./helpers.js";
import { BODY, SIM_ROOT, onClock, openOnDisk, putOk, waitDispatched } from "./store-test-kit.js";

const TOPIC = "QueryTopic";
const ALL_TIME = [0, Number.MAX_SAFE_INTEGER] as const;
const HOUR_MS = 3_600_000;
const T0 = 1_700_000_000_000;

function decodeAll(result: QueryMessageResult): DecodedMessage[] {
  expect(result.bufferTotalSize).toBe(
    result.messages.reduce((sum, record) => sum + record.length, 0),
  );
  return result.messages.map((record) => {
    const decoded = decodeMessage(record, 0, { checkCRC: true });
    if (!decoded.ok) throw new Error(decoded.reason);
    return decoded.message;
  });
}

function keyed(
  i: number,
  keys: string | readonly string[],
  extra: Partial<MessageInput> = {},
): MessageInput {
  return {
    topic: TOPIC,
    body: Buffer.from(`${BODY} ${i}`),
    keys,
    properties: { UNIQ_KEY: `UNIQ-${i}` },
    ...extra,
  };
}

const bodiesOf = (messages: readonly DecodedMessage[]): string[] =>
  messages.map((message) => message.body.toString());

describe("MessageStore.queryMessage", () => {
  let store: MessageStore | null = null;
  afterEach(async () => {
    await store?.shutdown();
    store = null;
  });
  const open = async (
    disk: SimulatedDisk,
    config: MessageStoreConfigInput = {},
    clock?: VirtualClock,
  ): Promise<MessageStore> =>
    (store = await openOnDisk(disk, config, {
      diskUsage: () => Promise.resolve(0),
      ...(clock ? { clock } : {}),
    }));

  it("finds messages by each key of KEYS and by UNIQ_KEY, of the topic asked only", async () => {
    const s = await open(new SimulatedDisk());
    await putOk(s, keyed(0, ["order-1", "customer-7"]));
    await putOk(s, keyed(1, "order-2 customer-7"));
    await putOk(
      s,
      keyed(2, "order-1", { topic: "OtherTopic", properties: { UNIQ_KEY: "UNIQ-0" } }),
    );
    await waitDispatched(s, TOPIC, 2);
    await waitDispatched(s, "OtherTopic", 1);
    expect(bodiesOf(decodeAll(await s.queryMessage(TOPIC, "customer-7", 32, ...ALL_TIME)))).toEqual(
      [`${BODY} 0`, `${BODY} 1`],
    );
    expect(bodiesOf(decodeAll(await s.queryMessage(TOPIC, "order-1", 32, ...ALL_TIME)))).toEqual([
      `${BODY} 0`,
    ]);
    expect(bodiesOf(decodeAll(await s.queryMessage(TOPIC, "UNIQ-1", 32, ...ALL_TIME)))).toEqual([
      `${BODY} 1`,
    ]);
    expect(
      bodiesOf(decodeAll(await s.queryMessage("OtherTopic", "UNIQ-0", 32, ...ALL_TIME))),
    ).toEqual([`${BODY} 2`]);
    const none = await s.queryMessage(TOPIC, "order-3", 32, ...ALL_TIME);
    expect(none).toMatchObject({ messages: [], bufferTotalSize: 0 });
    expect(none.indexLastUpdatePhyoffset).toBe(s.getMaxPhyOffset());
    expect(none.indexLastUpdateTimestamp).toBeGreaterThan(0);
  });

  it("returns only the message with the key asked when another key has the same hash", async () => {
    const s = await open(new SimulatedDisk());
    await putOk(s, keyed(0, "Aa"));
    await putOk(s, keyed(1, "BB")); // "QueryTopic#Aa" and "QueryTopic#BB" have one Java hashCode
    await waitDispatched(s, TOPIC, 2);
    expect(bodiesOf(decodeAll(await s.queryMessage(TOPIC, "Aa", 32, ...ALL_TIME)))).toEqual([
      `${BODY} 0`,
    ]);
    expect(bodiesOf(decodeAll(await s.queryMessage(TOPIC, "BB", 32, ...ALL_TIME)))).toEqual([
      `${BODY} 1`,
    ]);
  });

  it("indexes many keys per message and every message of a batch (read back from the log)", async () => {
    const s = await open(new SimulatedDisk(), { maxHashSlotNum: 64, maxIndexNum: 1000 });
    const keys = Array.from({ length: 50 }, (_, k) => `key-${k}`);
    await putOk(s, keyed(0, keys));
    const batch = Array.from({ length: 5 }, (_, i) => keyed(10 + i, `batch-${i} batch`));
    expect((await s.putMessages(batch)).status).toBe("PUT_OK");
    await waitDispatched(s, TOPIC, 6);
    for (const key of keys)
      expect(bodiesOf(decodeAll(await s.queryMessage(TOPIC, key, 32, ...ALL_TIME)))).toEqual([
        `${BODY} 0`,
      ]);
    expect(
      decodeAll(await s.queryMessage(TOPIC, "batch", 32, ...ALL_TIME)).map(
        (m) => m.properties.UNIQ_KEY,
      ),
    ).toEqual(batch.map((m) => m.properties?.UNIQ_KEY));
    expect(bodiesOf(decodeAll(await s.queryMessage(TOPIC, "batch-3", 32, ...ALL_TIME)))).toEqual([
      `${BODY} 13`,
    ]);
  });

  it("returns the newest maxNum matches (at most maxMsgsNumBatch) in log order", async () => {
    const s = await open(new SimulatedDisk(), { maxMsgsNumBatch: 4 });
    for (let i = 0; i < 10; i++) await putOk(s, keyed(i, "hot"));
    await waitDispatched(s, TOPIC, 10);
    expect(bodiesOf(decodeAll(await s.queryMessage(TOPIC, "hot", 3, ...ALL_TIME)))).toEqual(
      [7, 8, 9].map((i) => `${BODY} ${i}`),
    );
    expect(bodiesOf(decodeAll(await s.queryMessage(TOPIC, "hot", 100, ...ALL_TIME)))).toEqual(
      [6, 7, 8, 9].map((i) => `${BODY} ${i}`),
    );
  });

  it("returns the messages stored within [begin, end], to the millisecond (entries keep whole seconds)", async () => {
    const clock = new VirtualClock(T0);
    const s = await open(new SimulatedDisk({ clock }), {}, clock);
    try {
      for (let i = 0; i < 8; i++) {
        await putOk(s, keyed(i, "timed"));
        await clock.advance(1500);
      }
      await waitDispatched(s, TOPIC, 8);
      const at = (i: number): number => T0 + i * 1500;
      expect(bodiesOf(decodeAll(await s.queryMessage(TOPIC, "timed", 32, at(3), at(5))))).toEqual(
        [3, 4, 5].map((i) => `${BODY} ${i}`),
      );
      expect(
        bodiesOf(decodeAll(await s.queryMessage(TOPIC, "timed", 32, at(3) + 1, at(5) - 1))),
      ).toEqual([`${BODY} 4`]);
      expect(await s.queryMessage(TOPIC, "timed", 32, at(8), at(9))).toMatchObject({
        messages: [],
      });
    } finally {
      await onClock(clock, s.shutdown());
      store = null;
    }
  });

  it("spreads over new files as they fill, and finds everything again after a restart", async () => {
    const disk = new SimulatedDisk();
    const s = await open(disk, { maxHashSlotNum: 8, maxIndexNum: 16 });
    for (let i = 0; i < 40; i++) await putOk(s, keyed(i, `k${i} g${i % 4}`));
    await waitDispatched(s, TOPIC, 40);
    expect(s.indexService?.files.length).toBeGreaterThanOrEqual(7); // 120 entries, 15 per file
    await s.shutdown();
    const again = await open(disk, { maxHashSlotNum: 8, maxIndexNum: 16, maxMsgsNumBatch: 100 });
    expect(again.indexRecovery).toMatchObject({ caughtUpBytes: 0, entriesTruncated: 0 });
    for (let i = 0; i < 40; i++)
      expect(
        bodiesOf(decodeAll(await again.queryMessage(TOPIC, `UNIQ-${i}`, 32, ...ALL_TIME))),
      ).toEqual([`${BODY} ${i}`]);
    expect(decodeAll(await again.queryMessage(TOPIC, "g1", 100, ...ALL_TIME))).toHaveLength(10);
  });

  it("answers nothing and keeps no index directory when messageIndexEnable is false", async () => {
    const disk = new SimulatedDisk();
    const s = await open(disk, { messageIndexEnable: false });
    await putOk(s, keyed(0, "k"));
    await waitDispatched(s, TOPIC, 1);
    expect(await s.queryMessage(TOPIC, "k", 32, ...ALL_TIME)).toEqual({
      messages: [],
      bufferTotalSize: 0,
      indexLastUpdateTimestamp: 0,
      indexLastUpdatePhyoffset: 0,
    });
    expect(disk.listDirectories().some((path) => path.startsWith(`${SIM_ROOT}/index`))).toBe(false);
  });

  it("deletes the index files whose records went with the expired commit-log files", async () => {
    const s = await open(new SimulatedDisk(), {
      maxIndexNum: 4,
      fileReservedTime: 72,
      deleteWhen: "04",
      deleteCommitLogFilesInterval: 0,
    });
    for (let i = 0; i < 60; i++) await putOk(s, keyed(i, `k${i}`));
    await waitDispatched(s, TOPIC, 60);
    const queue = s.commitLog.mappedFileQueue;
    await waitFor(
      () => queue.flushedWhere >= (queue.getLastMappedFile()?.fileFromOffset ?? 0),
      20_000,
    );
    const index = s.indexService;
    if (index === null) throw new Error("no index");
    const before = index.files.length;
    for (const file of queue.mappedFiles.slice(0, -1))
      file.lastModifiedTimestamp = Date.now() - 73 * HOUR_MS;
    expect(await s.cleanExpiredFiles(new Date(new Date().setHours(4, 30, 0, 0)))).toBeGreaterThan(
      0,
    );
    const minOffset = s.getMinPhyOffset();
    expect(index.files.length).toBeLessThan(before);
    expect(index.files.slice(0, -1).every((file) => file.header.endPhyOffset > minOffset)).toBe(
      true,
    );
    expect((index.files[0]?.header.endPhyOffset ?? 0) > minOffset).toBe(true);
    expect(decodeAll(await s.queryMessage(TOPIC, "k59", 32, ...ALL_TIME))).toHaveLength(1);
    expect(await s.queryMessage(TOPIC, "k0", 32, ...ALL_TIME)).toMatchObject({ messages: [] });
  });
});
