import { ensureDirectory } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { IndexFile } from "../src/index-file.js";
import type { IndexEntry, IndexGeometry } from "../src/index-format.js";
import {
  INDEX_HEADER_SIZE,
  decodeHeader,
  entryPosition,
  indexKeyHash,
  slotPosition,
  topicKeyPrefixHash,
} from "../src/index-format.js";

const DIR = "/store/index";
const PATH = `${DIR}/20260101000000000`;
const GEOMETRY: IndexGeometry = { hashSlotNum: 4, indexNum: 10 };
const T0 = 1_700_000_000_000;

const hashOf = (key: string): number => indexKeyHash(topicKeyPrefixHash("T"), key);

async function newDisk(): Promise<SimulatedDisk> {
  const disk = new SimulatedDisk();
  await ensureDirectory(disk, DIR);
  return disk;
}

/** Every phyOffset the chain of `keyHash`'s slot leads to, newest first (hash collisions included). */
async function chain(file: IndexFile, keyHash: number): Promise<number[]> {
  const scratch = Buffer.alloc(20);
  const entry: IndexEntry = { keyHash: 0, phyOffset: 0, timeDiff: 0, prevIndex: 0 };
  const offsets: number[] = [];
  for (
    let next = await file.readSlot(keyHash % file.geometry.hashSlotNum, scratch);
    next > 0;
    next = entry.prevIndex
  ) {
    if ((await file.readEntryAt(next, scratch, entry)) === null)
      throw new Error(`entry ${next} unreadable`);
    if (entry.keyHash === keyHash) offsets.push(entry.phyOffset);
  }
  return offsets;
}

describe("IndexFile", () => {
  it("chains the entries of a slot newest first, readable before and after they are written", async () => {
    const disk = await newDisk();
    const file = await IndexFile.create(PATH, disk, GEOMETRY, null);
    for (let i = 0; i < 6; i++)
      expect(file.putKey(hashOf(`k${i % 2}`), 100 * i, T0 + i * 1000)).toBe(true);
    expect(await chain(file, hashOf("k0"))).toEqual([400, 200, 0]); // from the buffered chunk
    await file.writePending();
    expect(await chain(file, hashOf("k1"))).toEqual([500, 300, 100]); // from the file
    expect(file.header).toMatchObject({
      indexCount: 7,
      beginPhyOffset: 0,
      beginTimestamp: T0,
      endTimestamp: T0 + 5000,
    });
  });

  it("writes full chunks of entries on request and keeps the one being filled in memory", async () => {
    const disk = await newDisk();
    const file = await IndexFile.create(PATH, disk, { hashSlotNum: 64, indexNum: 10_000 }, null);
    for (let i = 0; i < 4096 + 10; i++) file.putKey(hashOf(`k${i}`), i, T0);
    expect(file.unwrittenChunks).toBe(1);
    await file.writeFullChunks();
    expect(file.unwrittenChunks).toBe(0);
    expect(disk.readFile(PATH).length).toBe(
      entryPosition({ hashSlotNum: 64, indexNum: 10_000 }, 4097),
    );
    expect(await chain(file, hashOf("k4100"))).toEqual([4100]); // from memory
  });

  it("refuses entries once indexNum - 1 are in (entry 0 is never used)", async () => {
    const file = await IndexFile.create(
      PATH,
      await newDisk(),
      { hashSlotNum: 4, indexNum: 4 },
      null,
    );
    expect([1, 2, 3, 4].map((i) => file.putKey(hashOf(`k${i}`), i, T0))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(file.isWriteFull()).toBe(true);
  });

  it("writes RocketMQ's layout: header, slots, 20-byte entries with seconds since the first entry", async () => {
    const disk = await newDisk();
    const file = await IndexFile.create(PATH, disk, GEOMETRY, null);
    const hash = hashOf("order-1");
    file.putKey(hash, 4096, T0);
    file.putKey(hash, 8192, T0 + 2500);
    file.cover(8192 + 300, T0 + 2500);
    await file.flush();
    const bytes = disk.readFile(PATH, "durable");
    expect(decodeHeader(bytes)).toEqual({
      beginTimestamp: T0,
      endTimestamp: T0 + 2500,
      beginPhyOffset: 4096,
      endPhyOffset: 8492,
      hashSlotCount: 1,
      indexCount: 3,
    });
    expect(bytes.readInt32BE(slotPosition(hash % 4))).toBe(2);
    const second = entryPosition(GEOMETRY, 2);
    expect([
      bytes.readInt32BE(second),
      Number(bytes.readBigInt64BE(second + 4)),
      bytes.readInt32BE(second + 12),
      bytes.readInt32BE(second + 16),
    ]).toEqual([hash, 8192, 2, 1]);
  });

  it("makes entries and slots durable before the header that counts them", async () => {
    const disk = await newDisk();
    let headerWrites = 0;
    const process = disk.process({
      beforeCall: (call, target) => {
        // Power goes as the second flush writes its header: its entries were fdatasync'd already.
        if (
          call === "pwrite" &&
          typeof target === "number" &&
          lastPosition === 0 &&
          ++headerWrites === 2
        ) {
          disk.powerCut();
          process.kill();
        }
      },
    });
    let lastPosition = -1;
    const io = new Proxy(process, {
      get(target, name, receiver) {
        if (name === "pwrite")
          return (fd: number, buffer: Buffer, offset: number, length: number, position: number) => (
            (lastPosition = position),
            target.pwrite(fd, buffer, offset, length, position)
          );
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === "function"
          ? (value as (...args: unknown[]) => unknown).bind(target)
          : value;
      },
    });
    const file = await IndexFile.create(PATH, io, GEOMETRY, null);
    file.putKey(hashOf("a"), 10, T0);
    await file.flush();
    file.putKey(hashOf("b"), 20, T0);
    file.putKey(hashOf("a"), 30, T0);
    await expect(file.flush()).rejects.toMatchObject({ code: "IO_ERROR" });
    const reloaded = await IndexFile.load(PATH, disk, GEOMETRY, true);
    expect(reloaded.header.indexCount).toBe(2); // the first flush's header
    await reloaded.makeWritable();
    expect(await chain(reloaded, hashOf("a"))).toEqual([10]);
    const durable = disk.readFile(PATH, "durable");
    expect(Number(durable.readBigInt64BE(entryPosition(GEOMETRY, 3) + 4))).toBe(30); // on disk, but not counted
  });

  it("rebuilds after a crash the same slots it wrote, and writes them all at the next flush", async () => {
    const disk = await newDisk();
    const file = await IndexFile.create(PATH, disk, GEOMETRY, null);
    for (let i = 0; i < 8; i++) file.putKey(hashOf(`key-${i % 5}`), i * 64, T0 + i); // not full: its region is not trusted
    await file.flush();
    const written = Buffer.from(
      disk.readFile(PATH, "durable").subarray(INDEX_HEADER_SIZE, INDEX_HEADER_SIZE + 16),
    );
    disk.overwrite(PATH, INDEX_HEADER_SIZE, Buffer.alloc(16, 0x7f)); // slots a crash left wrong
    const reloaded = await IndexFile.load(PATH, disk, GEOMETRY, true);
    await reloaded.makeWritable();
    expect(reloaded.header.hashSlotCount).toBe(file.header.hashSlotCount);
    for (let k = 0; k < 5; k++)
      expect(await chain(reloaded, hashOf(`key-${k}`))).toEqual(
        await chain(file, hashOf(`key-${k}`)),
      );
    await reloaded.flush();
    expect(
      disk.readFile(PATH, "durable").subarray(INDEX_HEADER_SIZE, INDEX_HEADER_SIZE + 16),
    ).toEqual(written);
  });

  it("truncateFrom drops the entries of records at or past the log end and lowers the covered end", async () => {
    const disk = await newDisk();
    const file = await IndexFile.create(PATH, disk, GEOMETRY, null);
    for (let i = 0; i < 6; i++) file.putKey(hashOf("k"), 100 * i, T0);
    file.cover(600, T0);
    await file.flush();
    const reloaded = await IndexFile.load(PATH, disk, GEOMETRY, true);
    expect(await reloaded.truncateFrom(350)).toBe(2);
    expect(reloaded.header).toMatchObject({ indexCount: 5, endPhyOffset: 350 });
    await reloaded.makeWritable();
    expect(await chain(reloaded, hashOf("k"))).toEqual([300, 200, 100, 0]);
    expect(reloaded.putKey(hashOf("k"), 360, T0)).toBe(true);
    expect(await chain(reloaded, hashOf("k"))).toEqual([360, 300, 200, 100, 0]);
  });
});
