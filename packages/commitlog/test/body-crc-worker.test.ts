import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BodyCrcWorker } from "../src/body-crc-worker.js";
import { BODYCRC_POSITION, encodeMessage, MessageEncoder, writeRecord } from "@store/message-codec";
import { silentLogger } from "./helpers.js";

const STORE_HOST = "127.0.0.1:10911";
const BODIES = ["first", "second body", "third"].map((text) => Buffer.from(text));

/**
 * Three records without their body CRC (and with their CRC property's digits zero), in a buffer of
 * the given kind; and the encoder's bytes.
 */
function records(shared: boolean): { file: object; buffer: Buffer; end: number; expected: Buffer } {
  const encoder = new MessageEncoder({ storeHost: STORE_HOST, appendPropCRC: true });
  const buffer = shared ? Buffer.from(new SharedArrayBuffer(4096)) : Buffer.alloc(4096);
  let end = 0;
  const expected: Buffer[] = [];
  for (const body of BODIES) {
    const prepared = encoder.prepare({ topic: "T", body }, 1, false);
    if ("status" in prepared) throw new Error(prepared.reason);
    end = writeRecord(buffer, end, prepared, 1);
    const encoded = encodeMessage({ topic: "T", body }, { storeHost: STORE_HOST, storeTimestamp: 1, appendPropCRC: true });
    if (encoded.status !== "PUT_OK") throw new Error(encoded.reason);
    expected.push(Buffer.from(encoded.record));
  }
  return { file: {}, buffer, end, expected: Buffer.concat(expected) };
}

describe("BodyCrcWorker", () => {
  const workers: BodyCrcWorker[] = [];
  const make = (...args: ConstructorParameters<typeof BodyCrcWorker>): BodyCrcWorker => {
    const worker = new BodyCrcWorker(...args);
    workers.push(worker);
    return worker;
  };
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
  });

  it("fills the CRCs of a shared buffer on its worker thread: not yet when fill() returns, all of them once it resolves", async () => {
    const crcs = make(silentLogger);
    const { file, buffer, end, expected } = records(true);
    const filled = crcs.fill(file, buffer, 0, end);
    expect(buffer.readInt32BE(BODYCRC_POSITION)).toBe(0); // the event loop did not compute it
    const size = buffer.readInt32BE(0);
    expect(buffer.toString("latin1", size - 11, size - 1)).toBe("0000000000"); // nor the record CRC
    await filled;
    expect(buffer.subarray(0, end).equals(expected)).toBe(true);
    // Ranges in flight together are all filled.
    const again = records(true);
    const first = again.expected.readInt32BE(0);
    await Promise.all([crcs.fill(again.file, again.buffer, 0, first), crcs.fill(again.file, again.buffer, first, again.end)]);
    expect(again.buffer.subarray(0, again.end).equals(again.expected)).toBe(true);
  });

  it("fills a buffer a worker cannot share on the calling thread", async () => {
    const crcs = make(silentLogger);
    const { file, buffer, end, expected } = records(false);
    const filled = crcs.fill(file, buffer, 0, end);
    expect(buffer.subarray(0, end).equals(expected)).toBe(true);
    await filled;
  });

  it("with thread: false, starts no worker: prefill does nothing and fill computes on the calling thread", async () => {
    const crcs = make(silentLogger, { thread: false });
    const { file, buffer, end, expected } = records(true);
    await crcs.prefill(file, buffer, 0, end);
    expect(buffer.readInt32BE(BODYCRC_POSITION)).toBe(0);
    const filled = crcs.fill(file, buffer, 0, end);
    expect(buffer.subarray(0, end).equals(expected)).toBe(true); // before the promise settles
    await filled;
  });

  it("rejects a range that does not hold whole records, from the worker and from the calling thread", async () => {
    const crcs = make(silentLogger);
    for (const shared of [true, false]) {
      const { file, buffer, end } = records(shared);
      await expect(crcs.fill(file, buffer, 2, end)).rejects.toThrow(/no whole message record at 2/);
    }
  });

  it("redoes on the calling thread what a failed worker had, logs it once, and keeps filling", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
    const crcs = make(logger, { source: "process.exit(3)" });
    const { file, buffer, end, expected } = records(true);
    await crcs.fill(file, buffer, 0, end);
    expect(buffer.subarray(0, end).equals(expected)).toBe(true);
    const later = records(true);
    await crcs.fill(later.file, later.buffer, 0, later.end);
    expect(later.buffer.subarray(0, later.end).equals(later.expected)).toBe(true);
    expect(lines.filter((line) => line.includes("main thread"))).toHaveLength(1);
    expect(lines[0]).toMatch(/exited \(code 3\)/);
  });

  it("keeps filling on the calling thread after terminate()", async () => {
    const crcs = make(silentLogger);
    const warm = records(true);
    await crcs.fill(warm.file, warm.buffer, 0, warm.end);
    await crcs.terminate();
    const { file, buffer, end, expected } = records(true);
    await crcs.fill(file, buffer, 0, end);
    expect(buffer.subarray(0, end).equals(expected)).toBe(true);
  });

  it("fills what a tick appended ahead of the commit: the commit's fill then finds it done", async () => {
    const crcs = make(silentLogger);
    const { file, buffer, end, expected } = records(true);
    const first = expected.readInt32BE(0);
    await crcs.prefill(file, buffer, 0, first);
    expect(buffer.subarray(0, first).equals(expected.subarray(0, first))).toBe(true);
    expect(buffer.readInt32BE(first + BODYCRC_POSITION)).toBe(0); // not asked for yet
    const prefilled = crcs.prefill(file, buffer, first, end);
    await crcs.fill(file, buffer, 0, end); // waits for the prefill under way
    expect(buffer.subarray(0, end).equals(expected)).toBe(true);
    await prefilled;
  });

  it("answers the commit with the error of a prefill that failed, and fills the range once it is whole", async () => {
    const crcs = make(silentLogger);
    const { file, buffer, end, expected } = records(true);
    const first = expected.readInt32BE(0);
    await crcs.prefill(file, buffer, 0, first + 5); // a tick cannot end mid-record: this one is refused
    await expect(crcs.fill(file, buffer, 0, first + 5)).rejects.toThrow(/a partial record at/);
    await crcs.fill(file, buffer, 0, end);
    expect(buffer.subarray(0, end).equals(expected)).toBe(true);
  });
});
