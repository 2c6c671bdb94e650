import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FLAG_ONEWAY,
  FLAG_RESPONSE,
  HeaderFieldError,
  RemotingCommand,
  RemotingError,
  SERIALIZE_TYPE_JSON,
  SERIALIZE_TYPE_ROCKETMQ,
  optionalString,
  requiredString,
} from "../src/index.js";
import { ROUTE_REQUEST_HEX, SEND_V2_REQUEST_HEX } from "./fixtures/ali-ons-frames.js";

/** A frame as the decoder hands it over: without its 4-byte length prefix. */
function withoutLength(hex: string): Buffer {
  return Buffer.from(hex, "hex").subarray(4);
}

describe("RemotingCommand.decode", () => {
  it("reads ali-ons's route request", () => {
    const command = RemotingCommand.decode(withoutLength(ROUTE_REQUEST_HEX));
    expect(command).toMatchObject({
      code: 105,
      opaque: 1,
      flag: 0,
      version: 121,
      language: "JAVA",
      remark: null,
      body: null,
    });
    expect(command.extFields).toEqual({ topic: "TopicTest" });
    expect(command.isResponse).toBe(false);
  });

  it("turns ali-ons's numbers and booleans into strings and restores escaped control characters", () => {
    const command = RemotingCommand.decode(withoutLength(SEND_V2_REQUEST_HEX));
    expect(command.code).toBe(310);
    expect(command.opaque).toBe(15);
    expect(command.extFields).toEqual({
      a: "PID_PROBE",
      b: "TopicTest",
      c: "TBW102",
      d: "4",
      e: "0",
      f: "0",
      g: "1795571760306",
      h: "0",
      i: "TAGS\u0001TagA\u0002KEYS\u0001key1 key2\u0002",
      j: "0",
      k: "false",
    });
    expect(command.body?.toString()).toBe("Hello ONS via fake broker");
  });

  it("refuses a header length beyond the frame, a non-JSON header and an unknown serialize type", () => {
    const frame = withoutLength(ROUTE_REQUEST_HEX);
    const tooLong = Buffer.from(frame);
    tooLong.writeUInt32BE(frame.length, 0);
    expect(() => RemotingCommand.decode(tooLong)).toThrow(RemotingError);
    const notJson = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from("{x}")]);
    expect(() => RemotingCommand.decode(notJson)).toThrow(/not JSON/);
    const unknownType = Buffer.from(frame);
    unknownType.writeUInt8(2, 0);
    expect(() => RemotingCommand.decode(unknownType)).toThrow(/serialize type 2/);
    const noCode = Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('{"opaque":1}')]);
    expect(() => RemotingCommand.decode(noCode)).toThrow(/code must be an int32/);
  });

  it("keeps keys such as __proto__ and constructor as ordinary fields, and header reads ignore the prototype", () => {
    const header =
      '{"code":1,"opaque":2,"extFields":{"__proto__":"p","constructor":"c","n":null,"b":true}}';
    const frame = Buffer.concat([Buffer.alloc(4), Buffer.from(header)]);
    frame.writeInt32BE(Buffer.byteLength(header), 0);
    const command = RemotingCommand.decode(frame);
    expect(Object.entries(command.extFields)).toEqual([
      ["__proto__", "p"],
      ["constructor", "c"],
      ["b", "true"],
    ]);
    expect(requiredString(command.extFields, "constructor")).toBe("c");
    expect(optionalString(command.extFields, "toString")).toBeUndefined();
    expect(() => requiredString(command.extFields, "hasOwnProperty")).toThrow(HeaderFieldError);
    expect(Object.getPrototypeOf(command.extFields)).toBe(Object.prototype);
  });
});

describe("RemotingCommand.encode", () => {
  it("writes a request byte for byte as ali-ons does", () => {
    const command = new RemotingCommand({
      code: 105,
      opaque: 1,
      version: 121,
      extFields: { topic: "TopicTest" },
    });
    expect(command.encode().toString("hex")).toBe(ROUTE_REQUEST_HEX);
  });

  it("writes a response with the RESPONSE flag, the request's opaque and a JSON serialize type of 0", () => {
    const request = RemotingCommand.decode(withoutLength(SEND_V2_REQUEST_HEX));
    const body = Buffer.from("abc");
    const frame = RemotingCommand.response(
      request,
      0,
      null,
      { msgId: "7F00000100002A9F0000000000000000", queueId: "0" },
      body,
    ).encode();
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readUInt8(4)).toBe(0);
    const headerLength = frame.readInt32BE(4);
    const header = JSON.parse(frame.toString("utf8", 8, 8 + headerLength)) as Record<
      string,
      unknown
    >;
    expect(header).toEqual({
      code: 0,
      language: "JAVA",
      version: 401,
      opaque: 15,
      flag: FLAG_RESPONSE,
      remark: null,
      extFields: { msgId: "7F00000100002A9F0000000000000000", queueId: "0" },
      serializeTypeCurrentRPC: "JSON",
    });
    expect(frame.subarray(8 + headerLength).toString()).toBe("abc");
  });

  it("round-trips a oneway request with a remark and a body", () => {
    const sent = RemotingCommand.request(
      40,
      7,
      { consumerGroup: "g" },
      Buffer.from([1, 2, 3]),
      true,
    );
    const received = RemotingCommand.decode(sent.encode().subarray(4));
    expect(received.flag).toBe(FLAG_ONEWAY);
    expect(received.isOneway).toBe(true);
    expect(received.extFields).toEqual({ consumerGroup: "g" });
    expect([...(received.body ?? [])]).toEqual([1, 2, 3]);
  });
});

/**
 * A ROCKETMQ (binary) frame assembled field by field as Java's RocketMQSerializable writes it, without
 * the length prefix: headerInfo (type 1 in the high byte), header, body.
 */
function javaBinaryFrame(fields: {
  code: number;
  language: number;
  version: number;
  opaque: number;
  flag: number;
  remark: string;
  ext: [string, string][];
  body: string;
}): Buffer {
  const parts: Buffer[] = [];
  const int = (value: number, bytes: 1 | 2 | 4) => {
    const buffer = Buffer.alloc(bytes);
    buffer.writeIntBE(value, 0, bytes);
    parts.push(buffer);
  };
  int(fields.code, 2);
  int(fields.language, 1);
  int(fields.version, 2);
  int(fields.opaque, 4);
  int(fields.flag, 4);
  int(Buffer.byteLength(fields.remark), 4);
  parts.push(Buffer.from(fields.remark));
  const ext = fields.ext.flatMap(([key, value]) => {
    const k = Buffer.alloc(2);
    k.writeInt16BE(Buffer.byteLength(key));
    const v = Buffer.alloc(4);
    v.writeInt32BE(Buffer.byteLength(value));
    return [k, Buffer.from(key), v, Buffer.from(value)];
  });
  int(Buffer.concat(ext).length, 4);
  parts.push(...ext);
  const header = Buffer.concat(parts);
  const headerInfo = Buffer.alloc(4);
  headerInfo.writeUInt32BE(((1 << 24) | header.length) >>> 0);
  return Buffer.concat([headerInfo, header, Buffer.from(fields.body)]);
}

describe("RemotingCommand in ROCKETMQ (binary) serialization", () => {
  it("reads a binary header as Java writes it: language code, remark, extFields, body", () => {
    const frame = javaBinaryFrame({
      code: 310,
      language: 0,
      version: 2333,
      opaque: 77,
      flag: 0,
      remark: "Sample Remark",
      ext: [
        ["b", "TopicTest"],
        ["e", "3"],
        ["empty", ""],
      ],
      body: "hello",
    });
    const command = RemotingCommand.decode(frame);
    expect(command).toMatchObject({
      code: 310,
      language: "JAVA",
      version: 2333,
      opaque: 77,
      flag: 0,
      remark: "Sample Remark",
    });
    expect(command.serializeType).toBe(SERIALIZE_TYPE_ROCKETMQ);
    expect({ ...command.extFields }).toEqual({ b: "TopicTest", e: "3" });
    expect(command.body?.toString()).toBe("hello");
  });

  it("writes Java's sizes: 21 header bytes without remark or fields, 34 with the 13-byte remark", () => {
    const bare = new RemotingCommand({
      code: 103,
      version: 2333,
      opaque: 5,
      serializeType: SERIALIZE_TYPE_ROCKETMQ,
    }).encode();
    expect(bare.readUInt32BE(4)).toBe(((1 << 24) | 21) >>> 0);
    expect(bare.length).toBe(8 + 21);
    expect(bare.readInt16BE(8)).toBe(103);
    expect(bare.readInt16BE(11)).toBe(2333);
    expect(bare.readInt32BE(13)).toBe(5);
    const remarked = new RemotingCommand({
      code: 103,
      version: 2333,
      remark: "Sample Remark",
      serializeType: SERIALIZE_TYPE_ROCKETMQ,
    }).encode();
    expect(remarked.readUInt32BE(4) & 0xffffff).toBe(34);
    expect(remarked.toString("utf8", 8 + 17, 8 + 30)).toBe("Sample Remark");
    const withFields = new RemotingCommand({
      code: 103,
      opaque: 9,
      version: 2333,
      extFields: { b: "TopicTest", e: "3" },
      serializeType: SERIALIZE_TYPE_ROCKETMQ,
    });
    const expected = javaBinaryFrame({
      code: 103,
      language: 0,
      version: 2333,
      opaque: 9,
      flag: 0,
      remark: "",
      ext: [
        ["b", "TopicTest"],
        ["e", "3"],
      ],
      body: "",
    });
    expect(withFields.encode().subarray(4).toString("hex")).toBe(expected.toString("hex"));
  });

  it("answers a binary request in binary and a JSON request in JSON with the high byte 0", () => {
    const binaryRequest = RemotingCommand.decode(
      javaBinaryFrame({
        code: 34,
        language: 13,
        version: 1,
        opaque: 3,
        flag: 0,
        remark: "",
        ext: [],
        body: "",
      }),
    );
    expect(binaryRequest.language).toBe("NODE_JS");
    const binaryResponse = RemotingCommand.response(binaryRequest, 0, "ok", {
      offset: "7",
    }).encode();
    expect(binaryResponse.readUInt8(4)).toBe(SERIALIZE_TYPE_ROCKETMQ);
    const decoded = RemotingCommand.decode(binaryResponse.subarray(4));
    expect(decoded).toMatchObject({ code: 0, opaque: 3, flag: FLAG_RESPONSE, remark: "ok" });
    expect({ ...decoded.extFields }).toEqual({ offset: "7" });
    const jsonRequest = RemotingCommand.decode(withoutLength(ROUTE_REQUEST_HEX));
    expect(jsonRequest.serializeType).toBe(SERIALIZE_TYPE_JSON);
    expect(RemotingCommand.response(jsonRequest, 0).encode().readUInt8(4)).toBe(0);
  });

  it("refuses lengths that run past the header, trailing bytes, and a code beyond int16", () => {
    const good = javaBinaryFrame({
      code: 1,
      language: 0,
      version: 1,
      opaque: 1,
      flag: 0,
      remark: "abc",
      ext: [["k", "v"]],
      body: "",
    });
    const remarkTooLong = Buffer.from(good);
    remarkTooLong.writeInt32BE(1000, 4 + 13);
    expect(() => RemotingCommand.decode(remarkTooLong)).toThrow(/remark length 1000/);
    const negativeExt = Buffer.from(good);
    negativeExt.writeInt32BE(-1, 4 + 20);
    expect(() => RemotingCommand.decode(negativeExt)).toThrow(/extFields length -1/);
    const trailing = Buffer.concat([good.subarray(0, 4), good.subarray(4), Buffer.from([0])]);
    trailing.writeUInt32BE(((1 << 24) | (good.length - 4 + 1)) >>> 0, 0);
    expect(() => RemotingCommand.decode(trailing)).toThrow(/after its extFields/);
    const short = Buffer.from([1, 0, 0, 4, 0, 1, 0, 0]);
    expect(() => RemotingCommand.decode(short)).toThrow(RemotingError);
    expect(() =>
      new RemotingCommand({ code: 200050, serializeType: SERIALIZE_TYPE_ROCKETMQ }).encode(),
    ).toThrow(/int16/);
  });

  it("round-trips any command in either serialization", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 20 });
    fc.assert(
      fc.property(
        fc.record({
          code: fc.integer({ min: -32768, max: 32767 }),
          opaque: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
          flag: fc.integer({ min: 0, max: 3 }),
          remark: fc.option(
            text.filter((r) => r !== ""),
            { nil: null },
          ),
          extFields: fc.dictionary(
            text.filter((k) => k !== ""),
            text.filter((v) => v !== ""),
            { maxKeys: 6 },
          ),
          body: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { nil: null }),
          serializeType: fc.constantFrom(SERIALIZE_TYPE_JSON, SERIALIZE_TYPE_ROCKETMQ),
        }),
        (init) => {
          const sent = new RemotingCommand({
            ...init,
            body: init.body === null ? null : Buffer.from(init.body),
          });
          const got = RemotingCommand.decode(sent.encode().subarray(4));
          expect(got).toMatchObject({
            code: sent.code,
            opaque: sent.opaque,
            flag: sent.flag,
            remark: sent.remark,
            serializeType: sent.serializeType,
          });
          expect({ ...got.extFields }).toEqual({ ...sent.extFields });
          expect(got.body === null ? null : [...got.body]).toEqual(
            sent.body === null ? null : [...sent.body],
          );
        },
      ),
    );
  });
});
