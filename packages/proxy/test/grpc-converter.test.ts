import { deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { PoppedMessage } from "@store/broker";
import { SYSFLAG_COMPRESSED } from "@store/message-codec";
import type { DecodedMessage } from "@store/message-codec";
import { md5Uppercase, toProtoMessage } from "../src/index.js";

function popped(
  overrides: Partial<DecodedMessage> = {},
  properties: Record<string, string> = {},
): PoppedMessage {
  const message = {
    totalSize: 0,
    magic: 0,
    bodyCRC: 0,
    queueId: 2,
    flag: 0,
    queueOffset: 7,
    physicalOffset: 1234,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_123,
    bornHost: "10.0.0.1:5000",
    storeTimestamp: 1_700_000_000_456,
    storeHost: "127.0.0.1:10911",
    reconsumeTimes: 1,
    preparedTransactionOffset: 0,
    body: Buffer.from("hello"),
    topic: "%RETRY%G",
    properties: {
      TAGS: "A",
      KEYS: "k1 k2",
      UNIQ_KEY: "ID",
      RETRY_TOPIC: "T",
      __BORNHOST: "host-1",
      color: "red",
      ...properties,
    },
    tags: "A",
    keys: "k1 k2",
    msgId: "OFFSETID",
    ...overrides,
  } as DecodedMessage;
  return {
    message,
    topic: "T",
    receiptHandle: "H",
    reconsumeTimes: 1,
    deliveryAttempt: 2,
    popTime: 0,
    invisibleTimeMs: 30_000,
  };
}

describe("toProtoMessage", () => {
  it("maps a stored retry copy to the consumer's topic with user properties only, an uppercase MD5 and attempt 2", () => {
    const message = toProtoMessage(popped());
    expect(message.topic?.name).toBe("T");
    expect(message.user_properties).toEqual({ color: "red" });
    const system = message.system_properties!;
    expect(system.tag).toBe("A");
    expect(system.keys).toEqual(["k1", "k2"]);
    expect(system.message_id).toBe("ID");
    expect(system.body_digest).toEqual({
      type: "MD5",
      checksum: "5D41402ABC4B2A76B9719D911017C592",
    });
    expect(system.body_encoding).toBe("IDENTITY");
    expect(system.message_type).toBe("NORMAL");
    expect(system.born_host).toBe("host-1");
    expect(system.delivery_attempt).toBe(2);
    expect(system.receipt_handle).toBe("H");
    expect(system.queue_offset).toBe(7);
    expect(system.invisible_duration).toEqual({ seconds: 30, nanos: 0 });
  });

  it("falls back to the offset message id, and marks GZIP, DELAY, FIFO and dead-letter origins", () => {
    const delayed = toProtoMessage(
      popped({ sysFlag: SYSFLAG_COMPRESSED }, { TIMER_DELIVER_MS: "1700000005000" }),
    );
    expect(delayed.system_properties?.message_id).toBe("ID");
    expect(delayed.system_properties?.body_encoding).toBe("GZIP");
    expect(delayed.system_properties?.message_type).toBe("DELAY");
    expect(delayed.system_properties?.delivery_timestamp).toEqual({
      seconds: 1_700_000_005,
      nanos: 0,
    });
    const noId = popped();
    delete (noId.message.properties as Record<string, string>).UNIQ_KEY;
    expect(toProtoMessage(noId).system_properties?.message_id).toBe("OFFSETID");
    const fifo = toProtoMessage(popped({}, { __SHARDINGKEY: "order-1" }));
    expect(fifo.system_properties?.message_type).toBe("FIFO");
    expect(fifo.system_properties?.message_group).toBe("order-1");
    const dead = toProtoMessage(popped({}, { DLQ_ORIGIN_TOPIC: "T", DLQ_ORIGIN_MESSAGE_ID: "ID" }));
    expect(dead.system_properties?.dead_letter_queue).toEqual({ topic: "T", message_id: "ID" });
  });

  it("inflates a zlib body of a 4.x producer to IDENTITY (the Node client only reads gzip), keeps a gzip one GZIP", () => {
    const text = `hello ${"z".repeat(5000)}`;
    const fromRemoting = toProtoMessage(
      popped({ sysFlag: SYSFLAG_COMPRESSED, body: deflateSync(Buffer.from(text)) }),
    );
    expect(fromRemoting.system_properties?.body_encoding).toBe("IDENTITY");
    expect(fromRemoting.body?.toString()).toBe(text);
    expect(fromRemoting.system_properties?.body_digest?.checksum).toBe(
      md5Uppercase(Buffer.from(text)),
    );
    const gzipped = gzipSync(Buffer.from(text));
    const fromJava = toProtoMessage(popped({ sysFlag: SYSFLAG_COMPRESSED, body: gzipped }));
    expect(fromJava.system_properties?.body_encoding).toBe("GZIP");
    expect(fromJava.body).toEqual(gzipped);
  });

  it("computes MD5 in uppercase hex", () => {
    expect(md5Uppercase(Buffer.from(""))).toBe("D41D8CD98F00B204E9800998ECF8427E");
  });
});
