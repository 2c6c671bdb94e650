import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MessageCodecError, createMessageId, decodeMessageId } from "../src/index.js";

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof MessageCodecError ? error.code : "not a MessageCodecError";
  }
  return undefined;
}

describe("createMessageId", () => {
  it("matches research 6.7: 127.0.0.1:8123 at offset 1024", () => {
    expect(createMessageId("127.0.0.1:8123", 1024)).toBe("7F00000100001FBB0000000000000400");
  });

  it("matches the msgIds ali-ons computed for the probe's records", () => {
    expect(createMessageId("127.0.0.1:10911", 0)).toBe("7F00000100002A9F0000000000000000");
    expect(createMessageId("127.0.0.1:10911", 150)).toBe("7F00000100002A9F0000000000000096");
    expect(createMessageId("127.0.0.1:10911", 380)).toBe("7F00000100002A9F000000000000017C");
  });

  it("is 56 hex characters for an IPv6 store host", () => {
    const id = createMessageId("[::1]:124", 2 ** 40);
    expect(id).toHaveLength(56);
    expect(id).toBe("00000000000000000000000000000001" + "0000007C" + "0000010000000000");
  });

  it("throws INVALID_ADDRESS for a bad host and INVALID_ARGUMENT for a bad offset", () => {
    expect(codeOf(() => createMessageId("nohost", 0))).toBe("INVALID_ADDRESS");
    expect(codeOf(() => createMessageId("1.2.3.4:5", 2 ** 53))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => createMessageId("1.2.3.4:5", 0.5))).toBe("INVALID_ARGUMENT");
  });
});

describe("decodeMessageId", () => {
  it("decodes the store host and offset", () => {
    expect(decodeMessageId("7F00000100001FBB0000000000000400")).toEqual({
      address: "127.0.0.1",
      port: 8123,
      storeHost: "127.0.0.1:8123",
      offset: 1024,
    });
  });

  it("accepts lowercase and IPv6 ids", () => {
    expect(decodeMessageId("7f00000100001fbb0000000000000400").offset).toBe(1024);
    const parts = decodeMessageId(createMessageId("[1050::5:600:300c:326b]:123", 77));
    expect(parts).toEqual({
      address: "1050::5:600:300c:326b",
      port: 123,
      storeHost: "[1050::5:600:300c:326b]:123",
      offset: 77,
    });
  });

  it.each([
    ["empty", ""],
    ["too short", "7F000001"],
    ["33 characters", "7F00000100001FBB00000000000004000"],
    ["non-hex", "7F00000100001FBB000000000000040G"],
    ["port 65536", "7F000001000100000000000000000400"],
    ["negative port", "7F000001FFFFFFFF0000000000000400"],
    ["offset beyond 2^53", "7F00000100001FBB7FFFFFFFFFFFFFFF"],
  ])("throws INVALID_MESSAGE_ID for %s", (_label, id) => {
    expect(codeOf(() => decodeMessageId(id))).toBe("INVALID_MESSAGE_ID");
  });

  it("round-trips any store host and safe offset", () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
        (ip, port, offset) => {
          const parts = decodeMessageId(createMessageId(`${ip}:${port}`, offset));
          expect(parts).toEqual({ address: ip, port, storeHost: `${ip}:${port}`, offset });
        },
      ),
    );
  });

  it("throws only MessageCodecErrors on arbitrary strings", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("0", "7", "F", "f", "x"), maxLength: 60 }),
        (id) => {
          expect(codeOf(() => decodeMessageId(id))).not.toBe("not a MessageCodecError");
        },
      ),
    );
  });
});
