import { describe, expect, it } from "vitest";
import { MessageCodecError, decodeMessage, encodeMessage } from "../src/index.js";
import { GOLDEN, loadGoldenRecord } from "./fixtures/codec-fixtures.js";

describe("encodeMessage", () => {
  it("returns an owned, exactly sized copy of the golden record", () => {
    const result = encodeMessage(GOLDEN.message, {
      storeHost: GOLDEN.storeHost,
      storeTimestamp: GOLDEN.storeTimestamp,
    });
    expect(result.status).toBe("PUT_OK");
    if (result.status === "PUT_OK") {
      expect(result.record.equals(loadGoldenRecord())).toBe(true);
      const again = encodeMessage(GOLDEN.message, {
        storeHost: GOLDEN.storeHost,
        storeTimestamp: 1,
      });
      expect(again.status === "PUT_OK" && again.record.readBigInt64BE(56)).toBe(1n);
      expect(result.record.equals(loadGoldenRecord())).toBe(true);
    }
  });

  it("stamps the queue and physical offsets when given", () => {
    const result = encodeMessage(
      { topic: "T", body: Buffer.from("abc") },
      { storeHost: "127.0.0.1:8123", storeTimestamp: 5, queueOffset: 10, physicalOffset: 1024 },
    );
    const decoded = result.status === "PUT_OK" ? decodeMessage(result.record) : undefined;
    expect(decoded?.ok && decoded.message).toMatchObject({
      queueOffset: 10,
      physicalOffset: 1024,
      storeTimestamp: 5,
      bornTimestamp: 5,
      bornHost: "127.0.0.1:8123",
      msgId: "7F00000100001FBB0000000000000400",
    });
  });

  it("writes an empty body and empty properties at the very end of the buffer", () => {
    const result = encodeMessage(
      { topic: "T", body: Buffer.alloc(0) },
      { storeHost: "1.2.3.4:5", storeTimestamp: 0 },
    );
    expect(result.status === "PUT_OK" && result.record.length).toBe(92);
  });

  it("applies the same limits as the encoder", () => {
    const options = { storeHost: "1.2.3.4:5", storeTimestamp: 0, maxMessageSize: 16 };
    expect(encodeMessage({ topic: "T", body: Buffer.alloc(17) }, options).status).toBe(
      "MESSAGE_ILLEGAL",
    );
    expect(encodeMessage({ topic: "T", body: Buffer.alloc(16) }, options).status).toBe("PUT_OK");
    expect(
      encodeMessage({ topic: "T", body: Buffer.alloc(1) }, { ...options, storeHost: "x" }).status,
    ).toBe("MESSAGE_ILLEGAL");
  });

  it("throws INVALID_ARGUMENT for an unsafe offset to stamp", () => {
    const options = { storeHost: "1.2.3.4:5", storeTimestamp: 0, physicalOffset: 2 ** 53 };
    expect(() => encodeMessage({ topic: "T", body: Buffer.alloc(1) }, options)).toThrow(
      MessageCodecError,
    );
  });
});
