import { describe, expect, it } from "vitest";
import { FLAG_ONEWAY, FLAG_RESPONSE, RemotingCommand, RemotingError } from "../src/index.js";
import { ROUTE_REQUEST_HEX, SEND_V2_REQUEST_HEX } from "./fixtures/ali-ons-frames.js";

/** A frame as the decoder hands it over: without its 4-byte length prefix. */
function withoutLength(hex: string): Buffer {
  return Buffer.from(hex, "hex").subarray(4);
}

describe("RemotingCommand.decode", () => {
  it("reads ali-ons's route request", () => {
    const command = RemotingCommand.decode(withoutLength(ROUTE_REQUEST_HEX));
    expect(command).toMatchObject({ code: 105, opaque: 1, flag: 0, version: 121, language: "JAVA", remark: null, body: null });
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

  it("refuses a header length beyond the frame, a non-JSON header and a binary header", () => {
    const frame = withoutLength(ROUTE_REQUEST_HEX);
    const tooLong = Buffer.from(frame);
    tooLong.writeUInt32BE(frame.length, 0);
    expect(() => RemotingCommand.decode(tooLong)).toThrow(RemotingError);
    const notJson = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from("{x}")]);
    expect(() => RemotingCommand.decode(notJson)).toThrow(/not JSON/);
    const binary = Buffer.from(frame);
    binary.writeUInt8(1, 0);
    expect(() => RemotingCommand.decode(binary)).toThrow(/serialize type 1/);
    const noCode = Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('{"opaque":1}')]);
    expect(() => RemotingCommand.decode(noCode)).toThrow(/code must be an integer/);
  });
});

describe("RemotingCommand.encode", () => {
  it("writes a request byte for byte as ali-ons does", () => {
    const command = new RemotingCommand({ code: 105, opaque: 1, version: 121, extFields: { topic: "TopicTest" } });
    expect(command.encode().toString("hex")).toBe(ROUTE_REQUEST_HEX);
  });

  it("writes a response with the RESPONSE flag, the request's opaque and a JSON serialize type of 0", () => {
    const request = RemotingCommand.decode(withoutLength(SEND_V2_REQUEST_HEX));
    const body = Buffer.from("abc");
    const frame = RemotingCommand.response(request, 0, null, { msgId: "7F00000100002A9F0000000000000000", queueId: "0" }, body).encode();
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readUInt8(4)).toBe(0);
    const headerLength = frame.readInt32BE(4);
    const header = JSON.parse(frame.toString("utf8", 8, 8 + headerLength)) as Record<string, unknown>;
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
    const sent = RemotingCommand.request(40, 7, { consumerGroup: "g" }, Buffer.from([1, 2, 3]), true);
    const received = RemotingCommand.decode(sent.encode().subarray(4));
    expect(received.flag).toBe(FLAG_ONEWAY);
    expect(received.isOneway).toBe(true);
    expect(received.extFields).toEqual({ consumerGroup: "g" });
    expect([...(received.body ?? [])]).toEqual([1, 2, 3]);
  });
});
