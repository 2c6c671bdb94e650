import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { javaStringHashCode, SYSFLAG_TRANSACTION_ROLLBACK_TYPE } from "@store/message-codec";
import type { IndexGeometry } from "../src/index-format.js";
import { IndexService, MAX_PENDING_RECORDS } from "../src/index-service.js";
import { silentLogger } from "./helpers.js";

const DIR = "/store/index";
const T0 = 1_700_000_000_000;

function service(
  disk: SimulatedDisk,
  geometry: IndexGeometry = { hashSlotNum: 16, indexNum: 100 },
  clock = new VirtualClock(T0),
): IndexService {
  return new IndexService({ storePath: DIR, geometry, io: disk, clock, logger: silentLogger });
}

async function collect(
  index: IndexService,
  topic: string,
  key: string,
  begin = 0,
  end = Number.MAX_SAFE_INTEGER,
): Promise<number[]> {
  const offsets: number[] = [];
  for await (const offset of index.candidates(topic, key, begin, end)) offsets.push(offset);
  return offsets;
}

/** Adds a 100-byte record at `offset` and commits. */
async function put(
  index: IndexService,
  offset: number,
  keys: string | undefined,
  uniqKey?: string,
  options: { topic?: string; time?: number; sysFlag?: number } = {},
): Promise<void> {
  index.add(
    offset,
    100,
    options.time ?? T0 + offset,
    options.topic ?? "T",
    options.sysFlag ?? 0,
    keys,
    uniqKey,
  );
  await index.commit();
}

describe("IndexService", () => {
  it("indexes UNIQ_KEY and each space-separated key of KEYS under <topic>#<key>", async () => {
    const index = service(new SimulatedDisk());
    await put(index, 0, "a  b c", "U0");
    await put(index, 100, "b", "U1");
    await put(index, 200, "b", undefined, { topic: "Other" });
    expect(await collect(index, "T", "a")).toEqual([0]);
    expect(await collect(index, "T", "b")).toEqual([100, 0]);
    expect(await collect(index, "T", "U1")).toEqual([100]);
    expect(await collect(index, "Other", "b")).toEqual([200]);
    expect(await collect(index, "T", "")).toEqual([]);
    expect(index.files[0]?.header.indexCount).toBe(1 + 4 + 2 + 1);
    expect(index.coveredEnd).toBe(300);
  });

  it("skips records below what it covers: a record added twice is indexed once", async () => {
    const index = service(new SimulatedDisk());
    await put(index, 0, "k");
    await put(index, 100, "k");
    await put(index, 0, "k");
    await put(index, 100, "k k");
    expect(index.files[0]?.header.indexCount).toBe(3);
    await put(index, 200, "k k"); // a key twice in one record: two entries, one candidate
    expect(index.files[0]?.header.indexCount).toBe(5);
    expect(await collect(index, "T", "k")).toEqual([200, 100, 0]);
  });

  it("names a hash collision as a candidate: the caller tells them apart by reading the record", async () => {
    expect(javaStringHashCode("T#Aa")).toBe(javaStringHashCode("T#BB"));
    const index = service(new SimulatedDisk());
    await put(index, 0, "Aa");
    await put(index, 100, "BB");
    expect(await collect(index, "T", "Aa")).toEqual([100, 0]);
  });

  it("starts a new file when the last is full (a record's keys may span two), and queries every file", async () => {
    const clock = new VirtualClock(T0);
    const index = service(new SimulatedDisk(), { hashSlotNum: 4, indexNum: 4 }, clock);
    for (let i = 0; i < 5; i++) await put(index, i * 100, `k${i} shared`, `U${i}`);
    expect(index.files.length).toBe(5); // 15 entries, 3 per file
    expect(new Set(index.files.map((file) => file.name)).size).toBe(5); // ordered names within one millisecond
    expect(await collect(index, "T", "shared")).toEqual([400, 300, 200, 100, 0]);
    for (let i = 0; i < 5; i++) expect(await collect(index, "T", `k${i}`)).toEqual([i * 100]);
  });

  it("indexes no key of a rolled-back transaction, but covers it", async () => {
    const index = service(new SimulatedDisk());
    await put(index, 0, "k", undefined, { sysFlag: SYSFLAG_TRANSACTION_ROLLBACK_TYPE });
    expect(await collect(index, "T", "k")).toEqual([]);
    expect(index.coveredEnd).toBe(100);
  });

  it("filters candidates by time, to the second an entry keeps, and skips files outside the range", async () => {
    const index = service(new SimulatedDisk(), { hashSlotNum: 4, indexNum: 3 });
    for (let i = 0; i < 6; i++)
      await put(index, i * 100, "k", undefined, { time: T0 + i * 10_000 + 500 });
    expect(await collect(index, "T", "k", T0 + 20_500, T0 + 40_500)).toEqual([400, 300, 200]);
    expect(await collect(index, "T", "k", T0 + 60_000, T0 + 90_000)).toEqual([]);
  });

  it("flushes to disk and loads back what it flushed; a file never flushed is dropped after a crash", async () => {
    const disk = new SimulatedDisk();
    const index = service(disk, { hashSlotNum: 4, indexNum: 4 });
    for (let i = 0; i < 3; i++) await put(index, i * 100, `k${i}`, `U${i}`); // 6 entries: two full files
    expect(await index.flush()).toBe(T0 + 200);
    await put(index, 300, "k3", "U3"); // a third file, never flushed
    disk.powerCut();
    const reloaded = service(disk, { hashSlotNum: 4, indexNum: 4 });
    expect(await reloaded.load(true)).toEqual({ loaded: 2, dropped: 1 });
    expect(reloaded.coveredEnd).toBe(300);
    expect(await collect(reloaded, "T", "U2")).toEqual([200]);
    await put(reloaded, 300, "k3", "U3");
    expect(await collect(reloaded, "T", "k3")).toEqual([300]);
  });

  it("after a crash, answers from its entries even when no file was flushed to the end (slots rebuilt)", async () => {
    const disk = new SimulatedDisk();
    const index = service(disk);
    for (let i = 0; i < 4; i++) await put(index, i * 100, "k");
    await index.flush();
    const last = index.files.at(-1)?.path ?? "";
    disk.overwrite(last, 40, Buffer.alloc(16 * 4, 0x09)); // the pages of a flush the crash cut short
    const reloaded = service(disk);
    await reloaded.load(true);
    expect(await collect(reloaded, "T", "k")).toEqual([300, 200, 100, 0]);
  });

  it("loads back a file whose last record's keys spilled into the next, after a gap in the log", async () => {
    const disk = new SimulatedDisk();
    const index = service(disk, { hashSlotNum: 4, indexNum: 4 });
    await put(index, 0, "a b"); // 2 entries
    await put(index, 4096, "c d e"); // a record at the next commit-log file: 1 entry here, 2 in the next file
    await index.flush();
    const reloaded = service(disk, { hashSlotNum: 4, indexNum: 4 });
    expect(await reloaded.load(true)).toEqual({ loaded: 2, dropped: 0 });
    expect(await collect(reloaded, "T", "c")).toEqual([4096]);
    expect(await collect(reloaded, "T", "e")).toEqual([4096]);
  });

  it("truncateFrom cuts the entries of records past the recovered log and keeps covering what lies below", async () => {
    const disk = new SimulatedDisk();
    const index = service(disk, { hashSlotNum: 4, indexNum: 4 });
    for (let i = 0; i < 6; i++) await put(index, i * 100, i % 2 === 0 ? `k${i}` : undefined);
    await index.flush();
    const reloaded = service(disk, { hashSlotNum: 4, indexNum: 4 });
    await reloaded.load(true);
    expect(await reloaded.truncateFrom(350)).toEqual({ entries: 1, files: 1 });
    expect(reloaded.coveredEnd).toBe(350);
    expect(await collect(reloaded, "T", "k4")).toEqual([]);
    await put(reloaded, 350, "k4");
    expect(await collect(reloaded, "T", "k4")).toEqual([350]);
    expect(await collect(reloaded, "T", "k2")).toEqual([200]);
  });

  it("deleteExpiredFiles deletes the files whose records all lie below the min offset, never the last", async () => {
    const disk = new SimulatedDisk();
    const index = service(disk, { hashSlotNum: 4, indexNum: 3 });
    for (let i = 0; i < 6; i++) await put(index, i * 100, "k");
    await index.flush();
    expect(index.files.length).toBe(3);
    expect(await index.deleteExpiredFiles(250)).toBe(1);
    expect(await index.deleteExpiredFiles(10_000)).toBe(1);
    expect(index.files.length).toBe(1);
    expect(disk.listFiles().filter((path) => path.startsWith(DIR)).length).toBe(1);
    expect(await collect(index, "T", "k")).toEqual([500, 400]);
  });

  it("stops indexing after a failed write, says why, and still answers from what it has", async () => {
    const disk = new SimulatedDisk();
    const index = service(disk);
    await put(index, 0, "k");
    expect(await index.flush()).toBe(T0);
    disk.failOn("write", "ENOSPC", { pathIncludes: "/index/" });
    await put(index, 100, "k"); // entries are written when a chunk fills, or at a flush
    expect(await index.flush()).toBeNull();
    expect(index.failure?.message).toMatch(/ENOSPC/);
    await put(index, 200, "k");
    expect(index.coveredEnd).toBe(200);
    expect(await collect(index, "T", "k")).toEqual([100, 0]);
  });

  it("stops indexing when more records are added than MAX_PENDING_RECORDS without a commit", async () => {
    const index = service(new SimulatedDisk());
    for (let i = 0; i <= MAX_PENDING_RECORDS; i++)
      index.add(i * 100, 100, T0, "T", 0, "k", undefined);
    await index.commit();
    expect(index.failure?.message).toMatch(/without a commit/);
    expect(index.coveredEnd).toBe(0);
  });
});
