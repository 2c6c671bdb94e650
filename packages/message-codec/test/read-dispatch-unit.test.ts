import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkMessageAndReturnSize, readDispatchUnit } from "../src/check-message.js";
import { encodeMessage } from "../src/encode-message.js";
import { writeBlankRecord } from "../src/record-patch.js";
import { loadGoldenRecord, messageCaseArbitrary } from "./fixtures/codec-fixtures.js";

const FIELDS = [
  "size",
  "topic",
  "queueId",
  "physicalOffset",
  "tagsCode",
  "storeTimestamp",
  "queueOffset",
  "sysFlag",
] as const;

function pick(result: object): Record<string, unknown> {
  const source = result as Record<string, unknown>;
  return Object.fromEntries(FIELDS.map((field) => [field, source[field]]));
}

describe("readDispatchUnit", () => {
  it("reads the golden ali-ons record as the full check does", () => {
    const record = loadGoldenRecord();
    const full = checkMessageAndReturnSize(record, 0, false, false);
    const lean = readDispatchUnit(record, 0);
    expect(lean.kind).toBe("MESSAGE");
    expect(pick(lean)).toEqual(pick(full));
  });

  it("agrees with checkMessageAndReturnSize on every field a unit needs, for arbitrary messages", () => {
    fc.assert(
      fc.property(
        messageCaseArbitrary,
        fc.nat({ max: 2 ** 40 }),
        fc.nat({ max: 2 ** 40 }),
        (messageCase, queueOffset, physicalOffset) => {
          const encoded = encodeMessage(messageCase.message, {
            storeHost: messageCase.storeHost,
            storeTimestamp: messageCase.storeTimestamp,
            queueOffset,
            physicalOffset,
          });
          if (encoded.status !== "PUT_OK") return;
          const full = checkMessageAndReturnSize(encoded.record, 0, false, false);
          expect(full.kind).toBe("MESSAGE");
          expect(pick(readDispatchUnit(encoded.record, 0))).toEqual(pick(full));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("with withKeys, reads KEYS and UNIQ_KEY as the full check does (only then)", () => {
    fc.assert(
      fc.property(
        messageCaseArbitrary,
        fc.option(
          fc
            .string({ minLength: 1, maxLength: 20 })
            .filter((key) => !key.includes("\u0001") && !key.includes("\u0002")),
        ),
        (messageCase, uniqKey) => {
          const message =
            uniqKey === null
              ? messageCase.message
              : {
                  ...messageCase.message,
                  properties: { ...messageCase.message.properties, UNIQ_KEY: uniqKey },
                };
          const encoded = encodeMessage(message, {
            storeHost: messageCase.storeHost,
            storeTimestamp: messageCase.storeTimestamp,
          });
          if (encoded.status !== "PUT_OK") return;
          const full = checkMessageAndReturnSize(encoded.record, 0, false, false);
          if (full.kind !== "MESSAGE") throw new Error(full.kind);
          const lean = readDispatchUnit(encoded.record, 0, true);
          if (lean.kind !== "MESSAGE") throw new Error(lean.kind);
          expect([lean.keys ?? "", lean.uniqKey]).toEqual([full.keys, full.uniqKey]); // the full check reads no KEYS as ""
          expect(readDispatchUnit(encoded.record, 0)).toMatchObject({
            keys: undefined,
            uniqKey: undefined,
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reports a blank record and an invalid one like the full check", () => {
    const blank = Buffer.alloc(64);
    writeBlankRecord(blank, 0, 64);
    expect(readDispatchUnit(blank, 0)).toMatchObject({ kind: "BLANK", size: 0 });
    const zeros = Buffer.alloc(64);
    expect(readDispatchUnit(zeros, 0)).toMatchObject({
      kind: "INVALID",
      success: false,
      code: "BAD_MAGIC",
    });
    const torn = loadGoldenRecord().subarray(0, 100);
    expect(readDispatchUnit(torn, 0)).toMatchObject({ kind: "INVALID", code: "UNDERFLOW" });
  });

  it("never throws on arbitrary bytes behind a valid magic", () => {
    const magic = Buffer.from("daa320a7", "hex");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        if (buffer.length >= 8) magic.copy(buffer, 4);
        const lean = readDispatchUnit(buffer, 0);
        expect(lean.kind).toBe(checkMessageAndReturnSize(buffer, 0, false, false).kind);
      }),
      { numRuns: 2000 },
    );
  });
});
