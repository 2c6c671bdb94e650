// A crash part-way through cutting a queue's tail (with files the allocate service pre-created after
// it) must never leave a directory that load() refuses: files are deleted from the highest offset
// down, pre-created ones first.
import type { FileIO } from "@store/mapped-file";
import { offsetToFileName } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { describe, expect, it, vi } from "vitest";
import { AllocateMappedFileService, MappedFileQueue } from "../src/index.js";
import { appendRaw } from "./helpers.js";

const SIZE = 4096;
const STORE = "/store/commitlog";

/**
 * The disk, with a process crash just before the `crashAt`-th I/O call (1-based) once armed: that
 * call and all later ones fail without touching the disk.
 */
function crashingIO(disk: SimulatedDisk): {
  io: FileIO;
  arm: (crashAt: number) => void;
  calls: () => number;
} {
  let armed = false;
  let crashAt = Number.POSITIVE_INFINITY;
  let calls = 0;
  const io = new Proxy(disk, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]): unknown => {
        if (armed && ++calls >= crashAt) {
          // the process is dead: this call and every later one never reach the disk
          if (calls === crashAt) target.processCrash();
          return Promise.reject(new Error("the process crashed"));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as unknown as FileIO;
  return {
    io,
    arm: (at) => {
      armed = true;
      crashAt = at;
      calls = 0;
    },
    calls: () => calls,
  };
}

/** Fills 3 files and part of a 4th, waits for the pre-created 5th, then cuts back into the 2nd. */
async function truncateWithCrash(crashAt: number): Promise<{ disk: SimulatedDisk; calls: number }> {
  const disk = new SimulatedDisk();
  const { io, arm, calls } = crashingIO(disk);
  const service = new AllocateMappedFileService({ io, preallocation: "sparse" });
  service.start();
  const queue = new MappedFileQueue({
    storePath: STORE,
    mappedFileSize: SIZE,
    allocateService: service,
    io,
  });
  for (let i = 0; i < 3; i++) await appendRaw(queue, Buffer.alloc(SIZE, i + 1));
  await appendRaw(queue, Buffer.alloc(100, 9));
  await vi.waitFor(() => expect(disk.exists(`${STORE}/${offsetToFileName(4 * SIZE)}`)).toBe(true));
  await queue.commit(0);
  arm(crashAt);
  await queue.truncateDirtyFiles(SIZE + 100).catch(() => undefined); // fails once the process "died"
  const made = calls();
  await service.shutdown().catch(() => undefined);
  return { disk, calls: made };
}

describe("truncateDirtyFiles under a crash", () => {
  it("leaves a directory load() accepts, whatever I/O call the crash lands on", async () => {
    const { calls } = await truncateWithCrash(Number.POSITIVE_INFINITY);
    expect(calls).toBeGreaterThan(3);
    for (let crashAt = 1; crashAt <= calls + 1; crashAt++) {
      const { disk } = await truncateWithCrash(crashAt);
      const names = disk.listFiles().filter((path) => !path.endsWith(".tmp"));
      const reloaded = new MappedFileQueue({ storePath: STORE, mappedFileSize: SIZE, io: disk });
      await expect(
        reloaded.load(),
        `crash before I/O call ${crashAt} of ${calls}: ${names.join(" ")}`,
      ).resolves.toBeUndefined();
      // a contiguous run from the first file; everything up to the cut is still there
      const offsets = reloaded.mappedFiles.map((file) => file.fileFromOffset);
      expect(offsets).toEqual(offsets.map((_, i) => i * SIZE));
      expect(offsets.length).toBeGreaterThanOrEqual(2);
      await reloaded.shutdown(0);
    }
  });
});
