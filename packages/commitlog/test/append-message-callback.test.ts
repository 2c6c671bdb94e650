import { MappedFile } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import type { EncodedAppend } from "../src/append-message-callback.js";
import { CommitLogAppendCallback, takesQueueOffset } from "../src/append-message-callback.js";
import {
  BLANK_MAGIC_CODE,
  decodeMessageId,
  decodeMessages,
  MESSAGE_ID_LENGTH_IPV4,
  MESSAGE_ID_LENGTH_IPV6,
  MessageEncoder,
  SYSFLAG_TRANSACTION_PREPARED_TYPE,
  SYSFLAG_TRANSACTION_ROLLBACK_TYPE,
} from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";

const TOPIC = "test-topic";
const NOW = 1_700_000_000_000;

interface Hosts {
  readonly born: string;
  readonly store: string;
  readonly idLength: number;
}

const IPV4: Hosts = {
  born: "127.0.0.1:123",
  store: "127.0.0.1:124",
  idLength: MESSAGE_ID_LENGTH_IPV4,
};
const IPV6: Hosts = {
  born: "[1050:0:0:0:5:600:300c:326b]:123",
  store: "[::1]:124",
  idLength: MESSAGE_ID_LENGTH_IPV6,
};

/** RocketMQ AppendCallbackTest's batch: 10 x (body "body", topic "test-topic", tags "abc"). */
function encodeBatch(hosts: Hosts, count = 10): EncodedAppend & { readonly records: Buffer } {
  const encoder = new MessageEncoder({ maxMessageSize: 10 * 1024 * 1024, storeHost: hosts.store });
  const batch: MessageInput[] = Array.from({ length: count }, () => ({
    topic: TOPIC,
    body: Buffer.from("body"),
    tags: "abc",
    bornHost: hosts.born,
  }));
  const encoded = encoder.encodeBatch(batch, NOW);
  if (encoded.status !== "PUT_OK") throw new Error(`batch refused: ${encoded.reason}`);
  const records = Buffer.from(encoded.records);
  return {
    records,
    message: null,
    size: records.length,
    count: encoded.count,
    queueKey: `${TOPIC}-0`,
    sysFlag: 0,
    storeTimestamp: NOW,
    fillPropertiesCrc: false,
  };
}

async function openFile(disk: SimulatedDisk, fileSize: number): Promise<MappedFile> {
  await disk.mkdir("/cl");
  return MappedFile.open("/cl/00000000000000000000", fileSize, { io: disk });
}

describe("CommitLogAppendCallback", () => {
  for (const [name, hosts] of [
    ["IPv4", IPV4],
    ["IPv6", IPV6],
  ] as const) {
    // RocketMQ AppendCallbackTest.testAppendMessageBatchEndOfFile (+ IPv6 variant)
    it(`${name}: a batch that does not fit closes the file with an 8-byte blank record (END_OF_FILE)`, async () => {
      const disk = new SimulatedDisk();
      const file = await openFile(disk, 1000);
      const table = new Map<string, number>();
      const callback = new CommitLogAppendCallback(table, hosts.store);
      const batch = encodeBatch(hosts);
      expect(batch.records.length).toBeGreaterThan(1000);
      const written = disk.counters.bytesWritten;
      const result = file.appendMessage(batch, callback);
      expect(result.status).toBe("END_OF_FILE");
      expect(result.wroteOffset).toBe(0);
      expect(result.logicsOffset).toBe(0);
      expect(result.wroteBytes).toBe(1000);
      expect(disk.counters.bytesWritten - written).toBe(8); // only the blank header is placed
      expect(file.wrotePosition).toBe(1000);
      expect(file.isFull()).toBe(true);
      const bytes = disk.readFile("/cl/00000000000000000000");
      expect(bytes.readInt32BE(0)).toBe(1000);
      expect(bytes.readUInt32BE(4)).toBe(BLANK_MAGIC_CODE);
      expect(bytes.subarray(8).every((b) => b === 0)).toBe(true);
      expect(table.size).toBe(0);
    });

    // RocketMQ AppendCallbackTest.testAppendMessageBatchSucc (+ IPv6 variant)
    it(`${name}: a batch that fits is stamped with consecutive queue offsets, one store time and ${hosts.idLength}-char ids`, async () => {
      const disk = new SimulatedDisk();
      const file = await openFile(disk, 10 * 1024);
      const table = new Map<string, number>([[`${TOPIC}-0`, 0]]);
      const callback = new CommitLogAppendCallback(table, hosts.store);
      const batch = encodeBatch(hosts);
      const result = file.appendMessage(batch, callback);
      expect(result.status).toBe("PUT_OK");
      expect(result.wroteOffset).toBe(0);
      expect(result.logicsOffset).toBe(0);
      expect(result.msgNum).toBe(10);
      expect(result.wroteBytes).toBe(batch.records.length);
      expect(file.wrotePosition).toBe(result.wroteBytes);
      const ids = result.msgId.split(",");
      expect(ids).toHaveLength(10);
      expect(new Set(ids).size).toBe(10);
      for (const id of ids) expect(id).toHaveLength(hosts.idLength);

      const read = await file.selectMappedBuffer(0, result.wroteBytes);
      if (read === null) throw new Error("appended bytes are not readable");
      const decoded = decodeMessages(read.buffer);
      read.release();
      expect(decoded.failure).toBeUndefined();
      expect(decoded.messages).toHaveLength(10);
      const storeTimes = new Set(decoded.messages.map((m) => m.storeTimestamp));
      expect([...storeTimes]).toEqual([NOW]);
      decoded.messages.forEach((message, i) => {
        expect(message.topic).toBe(TOPIC);
        expect(message.body?.toString()).toBe("body");
        expect(message.tags).toBe("abc");
        expect(message.queueOffset).toBe(i);
        expect(message.msgId).toBe(ids[i]);
        expect(decodeMessageId(ids[i] ?? "").offset).toBe(message.physicalOffset);
      });
      // The callback only reads the table: the commit log advances it once the bytes are placed.
      expect(table.get(`${TOPIC}-0`)).toBe(0);
    });
  }

  it("needs 8 spare bytes after the records: an exact fit is END_OF_FILE (research §6.4)", () => {
    const batch = encodeBatch(IPV4, 1);
    const callback = new CommitLogAppendCallback(new Map(), IPV4.store);
    const exact = callback.doAppend(0, 0, batch.records.length, batch);
    expect(exact.result.status).toBe("END_OF_FILE");
    expect(exact.data?.length).toBe(8);
    const roomy = callback.doAppend(0, 0, batch.records.length + 8, batch);
    expect(roomy.result.status).toBe("PUT_OK");
  });

  it("starts at the queue's next offset and at the file's absolute position", () => {
    const table = new Map<string, number>([[`${TOPIC}-0`, 41]]);
    const callback = new CommitLogAppendCallback(table, IPV4.store);
    const batch = encodeBatch(IPV4, 3);
    const { result, data } = callback.doAppend(8192, 100, 4000, batch);
    expect(result.wroteOffset).toBe(8292);
    expect(result.logicsOffset).toBe(41);
    const decoded = decodeMessages(data ?? Buffer.alloc(0));
    expect(decoded.messages.map((m) => m.queueOffset)).toEqual([41, 42, 43]);
    expect(decoded.messages[0]?.physicalOffset).toBe(8292);
  });

  it("gives prepared and rollback messages queue offset 0 (they take no queue slot)", () => {
    expect(takesQueueOffset(0)).toBe(true);
    expect(takesQueueOffset(SYSFLAG_TRANSACTION_PREPARED_TYPE)).toBe(false);
    expect(takesQueueOffset(SYSFLAG_TRANSACTION_ROLLBACK_TYPE)).toBe(false);
    const table = new Map<string, number>([[`${TOPIC}-0`, 7]]);
    const callback = new CommitLogAppendCallback(table, IPV4.store);
    const batch = { ...encodeBatch(IPV4, 1), sysFlag: SYSFLAG_TRANSACTION_PREPARED_TYPE };
    const { result } = callback.doAppend(0, 0, 4096, batch);
    expect(result.logicsOffset).toBe(0);
  });
});
