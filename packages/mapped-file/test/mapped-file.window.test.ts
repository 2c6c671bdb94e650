import assert from "node:assert/strict";
import { beforeEach, describe, expect, it } from "vitest";
import type { AppendMessageCallback, AppendWindow } from "../src/index.js";
import { MappedFile, TransientStorePool } from "../src/index.js";
import { STAGING_BUFFER_BYTES } from "../src/staged-writes.js";
import { SimulatedDisk } from "../src/testing.js";
import {
  BLANK_MAGIC_CODE,
  END_FILE_MIN_BLANK_LENGTH,
  bytesCallback,
  pattern,
  result,
  thrown,
} from "./helpers.js";

const MiB = 1024 * 1024;
const DIR = "/store/commitlog";
const PATH = `${DIR}/00000000000000000000`;

let disk: SimulatedDisk;

beforeEach(async () => {
  disk = new SimulatedDisk();
  await disk.mkdir(DIR);
});

/** Stores each message's bytes through the window when the file lends it, as the commit log does. */
const inPlace = {
  lent: 0,
  refused: 0,
  doAppend(
    fileFromOffset: number,
    position: number,
    maxBlank: number,
    msg: Buffer,
    window?: AppendWindow,
  ) {
    const wroteOffset = fileFromOffset + position;
    if (msg.length + END_FILE_MIN_BLANK_LENGTH > maxBlank) {
      const at = window ? window.reserve(END_FILE_MIN_BLANK_LENGTH) : -1;
      assert.ok(window && at >= 0, "an 8-byte blank record always fits a window");
      window.buffer.writeInt32BE(maxBlank, at);
      window.buffer.writeUInt32BE(BLANK_MAGIC_CODE, at + 4);
      return { result: result("END_OF_FILE", wroteOffset, maxBlank), data: null };
    }
    const at = window ? window.reserve(msg.length) : -1;
    if (window && at >= 0) {
      msg.copy(window.buffer, at);
      inPlace.lent++;
      return { result: result("PUT_OK", wroteOffset, msg.length), data: null };
    }
    inPlace.refused++;
    return { result: result("PUT_OK", wroteOffset, msg.length), data: msg };
  },
} satisfies AppendMessageCallback<Buffer> & { lent: number; refused: number };

beforeEach(() => {
  inPlace.lent = 0;
  inPlace.refused = 0;
});

async function pooled(fileSize: number): Promise<MappedFile> {
  const pool = new TransientStorePool(1, fileSize);
  pool.init();
  return MappedFile.open(PATH, fileSize, { io: disk, transientStorePool: pool });
}

/** Lets the microtask that writes a tick's staged appends run. */
async function endOfTick(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe("MappedFile lends its write target to append callbacks (AppendWindow)", () => {
  it("pool mode: the callback writes into the pool buffer; commit puts the same bytes in the file", async () => {
    const file = await pooled(MiB);
    const written = disk.counters.bytesWritten; // the file's creation wrote its zeros
    const a = pattern(1000, 1);
    const b = pattern(3000, 2);
    expect(file.appendMessage(a, inPlace).status).toBe("PUT_OK");
    expect(file.appendMessage(b, inPlace).status).toBe("PUT_OK");
    expect(inPlace.lent).toBe(2);
    expect(file.wrotePosition).toBe(4000);
    expect(disk.counters.bytesWritten).toBe(written); // nothing reached the file yet
    await file.commit(0);
    expect(
      disk
        .readFile(PATH)
        .subarray(0, 4000)
        .equals(Buffer.concat([a, b])),
    ).toBe(true);
  });

  it("page-cache mode: the bytes are staged, then written once at the end of the tick", async () => {
    const file = await MappedFile.open(PATH, MiB, { io: disk });
    const writes = disk.counters.writes;
    const records = [pattern(700, 3), pattern(900, 4), pattern(1100, 5)];
    for (const record of records) expect(file.appendMessage(record, inPlace).status).toBe("PUT_OK");
    expect(inPlace.lent).toBe(3);
    const written = file.whenWritten();
    expect(written).not.toBeNull();
    await written;
    expect(disk.counters.writes - writes).toBe(1);
    expect(disk.readFile(PATH).subarray(0, 2700).equals(Buffer.concat(records))).toBe(true);
    expect(file.committedPosition).toBe(2700);
  });

  it("writes a full staging buffer out before lending the next bytes", async () => {
    const file = await MappedFile.open(PATH, 4 * MiB, { io: disk });
    const record = pattern(STAGING_BUFFER_BYTES / 2 + 1, 6);
    expect(file.appendMessage(record, inPlace).status).toBe("PUT_OK");
    expect(file.committedPosition).toBe(0);
    expect(file.appendMessage(record, inPlace).status).toBe("PUT_OK"); // does not fit beside the first
    expect(file.committedPosition).toBe(record.length);
    await endOfTick();
    expect(
      disk
        .readFile(PATH)
        .subarray(0, 2 * record.length)
        .equals(Buffer.concat([record, record])),
    ).toBe(true);
  });

  it("page-cache mode: a record larger than a staging buffer is refused by the window and goes in as data", async () => {
    const file = await MappedFile.open(PATH, 4 * MiB, { io: disk });
    const big = pattern(STAGING_BUFFER_BYTES + 10, 7);
    expect(file.appendMessage(big, inPlace).status).toBe("PUT_OK");
    expect(inPlace.refused).toBe(1);
    expect(file.committedPosition).toBe(big.length); // written straight to the file
    expect(disk.readFile(PATH).subarray(0, big.length).equals(big)).toBe(true);
  });

  it("closes a pool file with a blank record written in place and zeroes the reused buffer's tail", async () => {
    const pool = new TransientStorePool(1, 64 * 1024);
    pool.init();
    const first = await MappedFile.open(PATH, 64 * 1024, { io: disk, transientStorePool: pool });
    expect(first.appendMessage(pattern(60 * 1024, 8), inPlace).status).toBe("PUT_OK");
    await first.commit(0);
    await first.destroy(0); // the buffer goes back to the pool holding those bytes
    const file = await MappedFile.open(`${DIR}/00000000000000065536`, 64 * 1024, {
      io: disk,
      transientStorePool: pool,
    });
    expect(file.appendMessage(pattern(1000, 9), inPlace).status).toBe("PUT_OK");
    const closing = file.appendMessage(pattern(64 * 1024, 10), inPlace);
    expect(closing).toMatchObject({ status: "END_OF_FILE", wroteBytes: 64 * 1024 - 1000 });
    expect(file.isFull()).toBe(true);
    await file.commit(0);
    const bytes = disk.readFile(`${DIR}/00000000000000065536`);
    expect(bytes.readInt32BE(1000)).toBe(64 * 1024 - 1000);
    expect(bytes.readUInt32BE(1004)).toBe(BLANK_MAGIC_CODE);
    expect(bytes.subarray(1008).every((byte) => byte === 0)).toBe(true);
  });

  it("refuses a misused window with an AssertionError and takes back what was lent", async () => {
    const file = await MappedFile.open(PATH, MiB, { io: disk });
    const twice: AppendMessageCallback<Buffer> = {
      doAppend(fileFromOffset, position, _maxBlank, msg, window) {
        window?.reserve(msg.length);
        window?.reserve(msg.length);
        return { result: result("PUT_OK", fileFromOffset + position, msg.length), data: null };
      },
    };
    const tooMuch: AppendMessageCallback<Buffer> = {
      doAppend(fileFromOffset, position, maxBlank, _msg, window) {
        window?.reserve(maxBlank + 1);
        return { result: result("PUT_OK", fileFromOffset + position, 1), data: null };
      },
    };
    const lentAndData: AppendMessageCallback<Buffer> = {
      doAppend(fileFromOffset, position, _maxBlank, msg, window) {
        window?.reserve(msg.length);
        return { result: result("PUT_OK", fileFromOffset + position, msg.length), data: msg };
      },
    };
    const underClaimed: AppendMessageCallback<Buffer> = {
      doAppend(fileFromOffset, position, _maxBlank, msg, window) {
        window?.reserve(msg.length);
        return { result: result("PUT_OK", fileFromOffset + position, msg.length - 1), data: null };
      },
    };
    let kept: AppendWindow | undefined;
    const keeper: AppendMessageCallback<Buffer> = {
      doAppend(fileFromOffset, position, _maxBlank, msg, window) {
        kept = window;
        return { result: result("PUT_OK", fileFromOffset + position, msg.length), data: msg };
      },
    };
    file.appendMessage(pattern(10, 23), keeper);
    expect(thrown(() => kept?.reserve(10))).toBeInstanceOf(assert.AssertionError); // outside doAppend
    expect(file.wrotePosition).toBe(10);
    await endOfTick();
    file.resetPositions(0);
    for (const callback of [twice, tooMuch, lentAndData, underClaimed]) {
      expect(thrown(() => file.appendMessage(pattern(100, 11), callback))).toBeInstanceOf(
        assert.AssertionError,
      );
      expect(file.wrotePosition).toBe(0);
    }
    // Nothing that was lent stays staged: the next append lands at 0 and only its bytes are written.
    const record = pattern(500, 12);
    expect(file.appendMessage(record, inPlace).wroteOffset).toBe(0);
    await endOfTick();
    expect(file.committedPosition).toBe(500);
    expect(disk.readFile(PATH).subarray(0, 500).equals(record)).toBe(true);
  });

  it("takes back what was lent when the callback throws", async () => {
    const file = await MappedFile.open(PATH, MiB, { io: disk });
    expect(file.appendMessage(pattern(300, 13), inPlace).status).toBe("PUT_OK");
    const failing: AppendMessageCallback<Buffer> = {
      doAppend(_fileFromOffset, _position, _maxBlank, msg, window) {
        const at = window?.reserve(msg.length) ?? -1;
        window?.buffer.fill(0xee, at, at + msg.length);
        throw new Error("encoder bug");
      },
    };
    expect(() => file.appendMessage(pattern(200, 14), failing)).toThrow("encoder bug");
    const next = pattern(400, 15);
    expect(file.appendMessage(next, inPlace).wroteOffset).toBe(300);
    await endOfTick();
    expect(file.committedPosition).toBe(700);
    expect(disk.readFile(PATH).subarray(300, 700).equals(next)).toBe(true);
  });

  it("lends nothing while a staged write keeps failing: the append reports the error, and works once the disk heals", async () => {
    const file = await MappedFile.open(PATH, MiB, { io: disk });
    const first = pattern(500, 16);
    disk.failOn("write", "EIO", { times: 3 });
    expect(file.appendMessage(first, inPlace).status).toBe("PUT_OK"); // staged
    await expect(file.whenWritten()).rejects.toMatchObject({ code: "IO_ERROR" }); // the tick-end write failed
    const second = pattern(600, 17);
    // The retry before lending fails, so the window lends nothing; the data path's retry fails too.
    const refused = file.appendMessage(second, inPlace);
    expect(refused).toMatchObject({ status: "UNKNOWN_ERROR", error: { code: "IO_ERROR" } });
    expect(file.wrotePosition).toBe(500);
    expect(file.appendMessage(second, inPlace).status).toBe("PUT_OK"); // healed: the retry succeeds
    await endOfTick();
    expect(
      disk
        .readFile(PATH)
        .subarray(0, 1100)
        .equals(Buffer.concat([first, second])),
    ).toBe(true);
  });

  it("callbacks that ignore the window still work (bytes returned as data)", async () => {
    const file = await pooled(MiB);
    const record = pattern(800, 18);
    expect(file.appendMessage(record, bytesCallback).status).toBe("PUT_OK");
    await file.commit(0);
    expect(disk.readFile(PATH).subarray(0, 800).equals(record)).toBe(true);
  });
});
