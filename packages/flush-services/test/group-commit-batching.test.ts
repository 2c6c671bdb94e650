// Group commit batching, counted rather than timed: N writers append to the real MappedFileQueue on
// SimulatedDisk (whose fdatasync takes 1 ms of real time, as a device would; nothing here waits on
// time) and await handleDiskFlush, as the commit log does: the append is staged in the page cache
// layer (or the pool buffer) and the flush request follows in the same tick.
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import type { FileIO } from "@store/mapped-file";
import { FlushManager } from "../src/flush-manager.js";
import type { SimStore } from "./sim-store.js";
import { logBytes, recordBytes, simStore } from "./sim-store.js";

const RECORD_BYTES = 1024;
const PUTS_PER_WRITER = 24;
/** Writers' rounds left out at each end: the first batches form, the last writers finish unevenly. */
const EDGE_ROUNDS = 3;

/**
 * What the disk has made durable, as a FileIO wrapper sees it: an fdatasync covers the bytes whose
 * writes completed before it started (SimulatedDisk keeps later ones unsynced), so `syncedEnd` is the
 * end of the written log when the last completed fdatasync started.
 */
class SyncRecord {
  completed = 0;
  syncedEnd = 0;
  /** Per fdatasync start: acks owed for puts an earlier completed fdatasync covered (none when gathering). */
  readonly owedAtStart: number[] = [];
  readonly #fileOffset = new Map<number, number>();
  #writtenEnd = 0;

  constructor(private readonly owed: (syncedEnd: number) => number) {}

  /** Forgets the writes and syncs so far (a segment's zero-fill): the log's data starts at offset 0. */
  dataStartsNow(): void {
    this.#writtenEnd = 0;
    this.syncedEnd = 0;
  }

  wrap(inner: FileIO): FileIO {
    const wrote = (fd: number, position: number, length: number): void => {
      this.#writtenEnd = Math.max(
        this.#writtenEnd,
        (this.#fileOffset.get(fd) ?? 0) + position + length,
      );
    };
    const overrides: Partial<FileIO> = {
      open: async (path, create) => {
        const fd = await inner.open(path, create);
        // A segment is made as <offset>.tmp and renamed: the descriptor keeps writing the same bytes.
        const fileOffset = Number(basename(path).split(".")[0]);
        if (!Number.isSafeInteger(fileOffset)) throw new Error(`not a segment: ${path}`);
        this.#fileOffset.set(fd, fileOffset);
        return fd;
      },
      pwrite: async (fd, buffer, offset, length, position) => {
        await inner.pwrite(fd, buffer, offset, length, position);
        wrote(fd, position, length);
      },
      pwriteSync: (fd, buffer, offset, length, position) => {
        inner.pwriteSync(fd, buffer, offset, length, position);
        wrote(fd, position, length);
      },
      fdatasync: async (fd) => {
        const covers = this.#writtenEnd;
        this.owedAtStart.push(this.owed(this.syncedEnd));
        await inner.fdatasync(fd);
        this.completed++;
        this.syncedEnd = Math.max(this.syncedEnd, covers);
      },
    };
    return new Proxy(inner, {
      get: (target, name, receiver) => {
        const own = overrides[name as keyof FileIO];
        if (own !== undefined) return own;
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === "function"
          ? (value as (...args: unknown[]) => unknown).bind(target)
          : value;
      },
    });
  }
}

interface BatchingRun {
  readonly acks: number;
  readonly lateAcks: number;
  readonly steadyFsyncsPerAck: number;
  /** Steady-state fdatasyncs that started while acks of an earlier one were still owed. */
  readonly overlappedShare: number;
}

/** N writers, PUTS_PER_WRITER puts each, one file (no roll-over inside the measured rounds). */
async function runWriters(writers: number, pool: boolean): Promise<BatchingRun> {
  const putEnds: number[] = [];
  let acks = 0;
  const ackedUpTo = (end: number): number =>
    putEnds.filter((putEnd) => putEnd <= end).length - acks;
  const record = new SyncRecord(ackedUpTo);
  const fileSize = writers * PUTS_PER_WRITER * RECORD_BYTES + 4096;
  const store: SimStore = simStore({
    fileSize,
    pool,
    maxLogBytes: fileSize,
    fsyncLatencyMs: 1,
    wrapIO: (io) => record.wrap(io),
  });
  /** The file as a power cut would leave it, re-read only when another fdatasync completed. */
  let durable: { completed: number; bytes: Buffer } = { completed: -1, bytes: Buffer.alloc(0) };
  const isDurable = (from: number, to: number): boolean => {
    if (durable.completed !== record.completed)
      durable = { completed: record.completed, bytes: logBytes(store, 0, fileSize, "durable") };
    return durable.bytes.subarray(from, to).equals(store.model.subarray(from, to));
  };
  const manager = new FlushManager(store.queue, {
    flushDiskType: "SYNC_FLUSH",
    transientStorePoolEnable: pool,
  });
  manager.start();
  const file = await store.queue.getLastMappedFile(0);
  if (file === null) throw new Error(`no file: ${store.queue.lastCreateError?.message}`);
  record.dataStartsNow(); // the segment's zero-fill (written and synced as it was made) is not the log
  let lateAcks = 0;
  /** Completed and started fdatasyncs, and acks, at the start and the end of the steady rounds. */
  const marks: { completed: number; started: number; acks: number }[] = [];
  const writer = async (id: number): Promise<void> => {
    for (let i = 0; i < PUTS_PER_WRITER; i++) {
      const bytes = recordBytes(id * PUTS_PER_WRITER + i, RECORD_BYTES);
      expect(file.appendMessage(bytes)).toBe(true);
      const end = file.fileFromOffset + file.wrotePosition;
      bytes.copy(store.model, end - RECORD_BYTES);
      putEnds.push(end);
      expect(await manager.handleDiskFlush(end, true)).toBe("PUT_OK");
      // The disk's own record: the put's bytes survive a power cut now, and a completed fdatasync covered them.
      if (!isDurable(end - RECORD_BYTES, end) || record.syncedEnd < end) lateAcks++;
      acks++;
      if (acks === writers * EDGE_ROUNDS || acks === writers * (PUTS_PER_WRITER - EDGE_ROUNDS)) {
        marks.push({ completed: record.completed, started: record.owedAtStart.length, acks });
      }
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, id) => writer(id)));
  await manager.shutdown();
  const [from, to] = marks as [(typeof marks)[0], (typeof marks)[0]];
  const started = record.owedAtStart.slice(from.started, to.started);
  return {
    acks,
    lateAcks,
    steadyFsyncsPerAck: (to.completed - from.completed) / (to.acks - from.acks),
    overlappedShare: started.filter((owed) => owed > 0).length / Math.max(1, started.length),
  };
}

describe("GroupCommitService batching over MappedFileQueue on SimulatedDisk", () => {
  for (const pool of [false, true]) {
    const storage = pool ? "pool" : "page cache";
    for (const writers of [16, 64, 256]) {
      it(`${storage}, ${writers} writers: one fdatasync per ${writers} acks, none acknowledged before its fdatasync`, async () => {
        const run = await runWriters(writers, pool);
        expect(run.acks).toBe(writers * PUTS_PER_WRITER);
        expect(run.lateAcks).toBe(0);
        expect(run.steadyFsyncsPerAck).toBeLessThanOrEqual(1 / writers);
        expect(run.overlappedShare).toBe(0);
      });
    }
  }
});
