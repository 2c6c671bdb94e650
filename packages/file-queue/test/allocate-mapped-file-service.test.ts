import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { FileIO } from "@store/mapped-file";
import { TransientStorePool, offsetToFileName } from "@store/mapped-file";
import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AllocateMappedFileService, MappedFileQueue } from "../src/index.js";
import { appendRaw, interceptIO, useTempDirs } from "./helpers.js";

const SIZE = 64 * 1024;
const tempDir = useTempDirs();
const services: AllocateMappedFileService[] = [];
const queues: MappedFileQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.shutdown(0);
  for (const service of services.splice(0)) await service.shutdown();
});

function newService(
  options: ConstructorParameters<typeof AllocateMappedFileService>[0] = {},
  start = true,
): AllocateMappedFileService {
  const service = new AllocateMappedFileService(options);
  services.push(service);
  if (start) service.start();
  return service;
}

const at = (dir: string, offset: number): string => join(dir, offsetToFileName(offset));

/** Wraps a FileIO and records the most segment creations (temp file open .. rename) in flight at once. */
function concurrencyProbe(disk: SimulatedDisk): { io: FileIO; maxConcurrent: () => number } {
  let inFlight = 0;
  let max = 0;
  const io = interceptIO(disk, {
    open: (real, path, create) => {
      if (create) max = Math.max(max, ++inFlight);
      return real(path, create);
    },
    rename: (real, from, to) => {
      inFlight--;
      return real(from, to);
    },
  });
  return { io, maxConcurrent: () => max };
}

describe("AllocateMappedFileService", () => {
  it("pre-creates the next file before the current one fills, so the roll-over finds it ready", async () => {
    const dir = join(tempDir(), "commitlog");
    const service = newService();
    const queue = new MappedFileQueue({
      storePath: dir,
      mappedFileSize: SIZE,
      allocateService: service,
    });
    queues.push(queue);
    const first = await queue.getLastMappedFile(0);
    expect(first?.fileFromOffset).toBe(0);
    await vi.waitFor(() => expect(existsSync(at(dir, SIZE))).toBe(true));
    expect(statSync(at(dir, SIZE)).size).toBe(SIZE);
    expect(first?.isFull()).toBe(false); // the next file exists while the current one still takes appends
    expect(service.pendingRequests).toBe(1);
    await appendRaw(queue, Buffer.alloc(SIZE, 1));
    await appendRaw(queue, Buffer.alloc(10, 2)); // rolls over: claims the pre-created file, asks for the one after
    expect(queue.getLastMappedFile()?.fileFromOffset).toBe(SIZE);
    await vi.waitFor(() => expect(existsSync(at(dir, 2 * SIZE))).toBe(true));
    expect(queue.mappedFiles).toHaveLength(2);
  });

  it("returns null with DISK_FULL on ENOSPC, keeps serving, and works after heal()", async () => {
    const disk = new SimulatedDisk();
    const service = newService({ io: disk });
    disk.failOn("write", "ENOSPC", { times: Infinity });
    const queue = new MappedFileQueue({
      storePath: "/store/commitlog",
      mappedFileSize: SIZE,
      allocateService: service,
      io: disk,
    });
    queues.push(queue);
    expect(await queue.getLastMappedFile(0)).toBeNull();
    expect(service.lastError?.code).toBe("DISK_FULL");
    expect(queue.lastCreateError?.code).toBe("DISK_FULL");
    disk.heal();
    const file = await queue.getLastMappedFile(0);
    expect(file?.fileFromOffset).toBe(0);
    expect(service.isStarted).toBe(true);
    await vi.waitFor(() => expect(disk.exists(at("/store/commitlog", SIZE))).toBe(true));
  });

  it("deletes pre-created files nobody claimed on shutdown, and refuses requests afterwards", async () => {
    const dir = join(tempDir(), "commitlog");
    const service = newService();
    const file = await service.putRequestAndReturnMappedFile(at(dir, 0), at(dir, SIZE), SIZE);
    expect(file?.fileFromOffset).toBe(0);
    await vi.waitFor(() => expect(existsSync(at(dir, SIZE))).toBe(true));
    await service.shutdown();
    expect(existsSync(at(dir, SIZE))).toBe(false);
    expect(existsSync(at(dir, 0))).toBe(true); // claimed: the caller owns it
    expect(
      await service.putRequestAndReturnMappedFile(at(dir, SIZE), at(dir, 2 * SIZE), SIZE),
    ).toBeNull();
    expect(service.lastError?.code).toBe("SERVICE_SHUT_DOWN");
    await file?.close();
  });

  it("gives up after the wait deadline (ALLOCATE_TIMEOUT); a later request gets the file", async () => {
    const disk = new SimulatedDisk();
    const service = newService({ io: disk, waitTimeoutMs: 30 });
    const resume = disk.stallFsyncs();
    expect(
      await service.putRequestAndReturnMappedFile(
        "/q/" + offsetToFileName(0),
        "/q/" + offsetToFileName(SIZE),
        SIZE,
      ),
    ).toBeNull();
    expect(service.lastError?.code).toBe("ALLOCATE_TIMEOUT");
    resume();
    const file = await service.putRequestAndReturnMappedFile(
      "/q/" + offsetToFileName(0),
      "/q/" + offsetToFileName(SIZE),
      SIZE,
    );
    expect(file?.fileFromOffset).toBe(0);
    await file?.close();
  });

  it("times its wait on the injected clock", async () => {
    const disk = new SimulatedDisk();
    const clock = new VirtualClock();
    const service = newService({ io: disk, waitTimeoutMs: 5000, clock });
    const resume = disk.stallFsyncs();
    let settled: unknown = "pending";
    void service
      .putRequestAndReturnMappedFile(
        "/q/" + offsetToFileName(0),
        "/q/" + offsetToFileName(SIZE),
        SIZE,
      )
      .then((file) => (settled = file));
    await clock.advance(4999);
    expect(settled).toBe("pending");
    await clock.advance(1);
    expect(settled).toBeNull();
    expect(service.lastError?.code).toBe("ALLOCATE_TIMEOUT");
    resume();
  });

  it("creates nothing before start(), then serves the queued requests", async () => {
    const disk = new SimulatedDisk();
    const service = newService({ io: disk, waitTimeoutMs: 20 }, false);
    const path = "/q/" + offsetToFileName(0);
    expect(
      await service.putRequestAndReturnMappedFile(path, "/q/" + offsetToFileName(SIZE), SIZE),
    ).toBeNull();
    expect(disk.listFiles()).toEqual([]);
    service.start();
    await vi.waitFor(() => expect(disk.exists("/q/" + offsetToFileName(SIZE))).toBe(true));
    const file = await service.putRequestAndReturnMappedFile(
      path,
      "/q/" + offsetToFileName(SIZE),
      SIZE,
    );
    expect(file?.fileName).toBe(path);
    await file?.close();
  });

  it("creates one file at a time", async () => {
    const disk = new SimulatedDisk({ fsyncLatencyMs: 2 });
    const probe = concurrencyProbe(disk);
    const service = newService({ io: probe.io });
    const files = await Promise.all(
      [0, 1, 2, 3].map((k) =>
        service.putRequestAndReturnMappedFile(
          `/q${k}/${offsetToFileName(0)}`,
          `/q${k}/${offsetToFileName(SIZE)}`,
          SIZE,
        ),
      ),
    );
    expect(files.every((f) => f !== null)).toBe(true);
    expect(probe.maxConcurrent()).toBe(1);
    for (const file of files) await file?.close();
  });

  it("keeps filesAhead files ready after the one it hands out, and refuses a bad filesAhead", async () => {
    expect(() => new AllocateMappedFileService({ filesAhead: 0 })).toThrow(
      expect.objectContaining({ code: "BAD_ARGUMENT" }),
    );
    expect(() => new AllocateMappedFileService({ filesAhead: 1.5 })).toThrow(
      expect.objectContaining({ code: "BAD_ARGUMENT" }),
    );
    const disk = new SimulatedDisk();
    const service = newService({ io: disk, filesAhead: 3 });
    const first = await service.putRequestAndReturnMappedFile(
      "/q/" + offsetToFileName(0),
      "/q/" + offsetToFileName(SIZE),
      SIZE,
    );
    const ready = [1, 2, 3].map((k) => "/q/" + offsetToFileName(k * SIZE));
    await vi.waitFor(() => expect(ready.every((path) => disk.exists(path))).toBe(true));
    expect(disk.exists("/q/" + offsetToFileName(4 * SIZE))).toBe(false);
    expect(service.pendingRequests).toBe(3);
    await first?.close();
    await service.shutdown(); // deletes the three unclaimed files
    expect(disk.listFiles()).toEqual(["/q/" + offsetToFileName(0)]);
  });

  it("deletes unclaimed files on shutdown highest first, each durably: a crash part-way leaves no gap", async () => {
    for (let crashAfter = 0; crashAfter <= 3; crashAfter++) {
      const disk = new SimulatedDisk({ directoryEntries: "directory-sync" });
      const service = new AllocateMappedFileService({ io: disk, filesAhead: 3 });
      service.start();
      const first = await service.putRequestAndReturnMappedFile(
        "/q/" + offsetToFileName(0),
        "/q/" + offsetToFileName(SIZE),
        SIZE,
      );
      await vi.waitFor(() => expect(disk.exists("/q/" + offsetToFileName(3 * SIZE))).toBe(true));
      await first?.close();
      // The power goes after `crashAfter` deletions.
      let unlinks = 0;
      const unlink = disk.unlink.bind(disk);
      disk.unlink = async (path: string) => {
        if (unlinks++ === crashAfter) {
          disk.powerCut();
          throw Object.assign(new Error("EIO: power cut"), { code: "EIO" });
        }
        return unlink(path);
      };
      await service.shutdown().catch(() => undefined);
      if (crashAfter === 3) disk.powerCut(); // all three deleted: the cut comes after
      const left = disk.listFiles().map((path) => Number(basename(path)) / SIZE);
      expect(left).toEqual(Array.from({ length: 4 - crashAfter }, (_, k) => k)); // 0..n, no gap
    }
  });

  it("lends a pool buffer only to the file it hands out, so pre-created files never starve the pool", async () => {
    const pool = new TransientStorePool(1, SIZE);
    pool.init();
    const disk = new SimulatedDisk();
    const service = newService({ io: disk, transientStorePool: pool });
    const first = await service.putRequestAndReturnMappedFile(
      "/q/" + offsetToFileName(0),
      "/q/" + offsetToFileName(SIZE),
      SIZE,
    );
    expect(first?.usesTransientStorePool).toBe(true);
    await vi.waitFor(() => expect(disk.exists("/q/" + offsetToFileName(SIZE))).toBe(true)); // pre-created...
    expect(pool.availableBufferNums).toBe(0); // ...without a buffer: the only one is the first file's
    first?.appendMessage(Buffer.alloc(SIZE, 1));
    expect(await first?.commit(0)).toBe(SIZE); // fully committed: the buffer goes back
    expect(pool.availableBufferNums).toBe(1);
    const second = await service.putRequestAndReturnMappedFile(
      "/q/" + offsetToFileName(SIZE),
      "/q/" + offsetToFileName(2 * SIZE),
      SIZE,
    );
    expect(second?.usesTransientStorePool).toBe(true); // the pre-created file gets the returned buffer
    await first?.close();
    await second?.close();
    await service.shutdown();
  });

  it("with fastFailIfNoBufferInStorePool refuses while no buffer is free, and hands the file out once one is", async () => {
    const pool = new TransientStorePool(1, SIZE);
    pool.init();
    const disk = new SimulatedDisk();
    const service = newService({
      io: disk,
      transientStorePool: pool,
      fastFailIfNoBufferInStorePool: true,
    });
    const first = await service.putRequestAndReturnMappedFile(
      "/q/" + offsetToFileName(0),
      "/q/" + offsetToFileName(SIZE),
      SIZE,
    );
    expect(first?.usesTransientStorePool).toBe(true);
    expect(pool.availableBufferNums).toBe(0);
    expect(
      await service.putRequestAndReturnMappedFile(
        "/q/" + offsetToFileName(SIZE),
        "/q/" + offsetToFileName(2 * SIZE),
        SIZE,
      ),
    ).toBeNull();
    expect(service.lastError?.code).toBe("POOL_EXHAUSTED");
    await first?.close(); // gives the buffer back
    expect(pool.availableBufferNums).toBe(1);
    const second = await service.putRequestAndReturnMappedFile(
      "/q/" + offsetToFileName(SIZE),
      "/q/" + offsetToFileName(2 * SIZE),
      SIZE,
    );
    expect(second?.usesTransientStorePool).toBe(true);
    await second?.close();
    await service.shutdown();
  });

  it("refuses a pool whose buffers are smaller than the file with BAD_ARGUMENT, creating nothing", async () => {
    const pool = new TransientStorePool(1, SIZE / 2);
    pool.init();
    const disk = new SimulatedDisk();
    const service = newService({ io: disk, transientStorePool: pool });
    expect(
      await service.putRequestAndReturnMappedFile(
        "/q/" + offsetToFileName(0),
        "/q/" + offsetToFileName(SIZE),
        SIZE,
      ),
    ).toBeNull();
    expect(service.lastError?.code).toBe("BAD_ARGUMENT");
    expect(disk.listFiles()).toEqual([]);
    await service.shutdown();
  });

  it("without fast fail, a file handed out when the pool is empty works in page-cache mode", async () => {
    const pool = new TransientStorePool(1, SIZE);
    pool.init();
    const service = newService({ io: new SimulatedDisk(), transientStorePool: pool });
    const first = await service.putRequestAndReturnMappedFile(
      "/q/" + offsetToFileName(0),
      "/q/" + offsetToFileName(SIZE),
      SIZE,
    );
    const second = await service.putRequestAndReturnMappedFile(
      "/q/" + offsetToFileName(SIZE),
      "/q/" + offsetToFileName(2 * SIZE),
      SIZE,
    );
    expect(first?.usesTransientStorePool).toBe(true);
    expect(second?.usesTransientStorePool).toBe(false);
    second?.appendMessage(Buffer.alloc(10, 2));
    expect(second?.readPosition).toBe(10); // readable without a commit: page-cache mode
    await first?.close();
    await second?.close();
    await service.shutdown();
  });

  it("deletes the pre-created file when its queue truncates, so the directory has no gap to refuse", async () => {
    const dir = join(tempDir(), "commitlog");
    const service = newService({ preallocation: "sparse" });
    const queue = new MappedFileQueue({
      storePath: dir,
      mappedFileSize: SIZE,
      allocateService: service,
    });
    queues.push(queue);
    for (let i = 0; i < 3; i++) await appendRaw(queue, Buffer.alloc(SIZE, i + 1));
    await appendRaw(queue, Buffer.alloc(10));
    await vi.waitFor(() => expect(existsSync(at(dir, 4 * SIZE))).toBe(true));
    await queue.truncateDirtyFiles(SIZE + 100);
    // a pre-created file still being created is waited for and deleted before truncate resolves
    expect(readdirSync(dir).sort()).toEqual([at(dir, 0), at(dir, SIZE)].map((p) => basename(p)));
    expect(service.pendingRequests).toBe(0);
    const reloaded = new MappedFileQueue({ storePath: dir, mappedFileSize: SIZE });
    queues.push(reloaded);
    await reloaded.load();
    expect(reloaded.mappedFiles).toHaveLength(2);
  });

  it("discards a file that was still being created when its queue asked", async () => {
    const disk = new SimulatedDisk();
    const service = newService({ io: disk });
    const resume = disk.stallFsyncs();
    const waiting = service.putRequestAndReturnMappedFile(
      "/q/" + offsetToFileName(0),
      "/q/" + offsetToFileName(SIZE),
      SIZE,
    );
    await disk.whenFsyncStalled(); // the creation is under way, held at its fdatasync
    expect(disk.exists("/q/" + offsetToFileName(0) + ".tmp")).toBe(true);
    let settled = false;
    const discarding = service.discardUnclaimed("/q").finally(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve)); // the simulated disk's calls all settled meanwhile
    expect(settled).toBe(false); // waits for the creation in flight, to delete what it makes
    resume();
    expect(await discarding).toBe(2);
    expect(disk.listFiles()).toEqual([]); // nothing left behind once it resolves
    expect(await waiting).toBeNull();
    expect(service.lastError?.code).toBe("CONCURRENT_MODIFICATION");
  });

  it("zero-fills new files by default and only sizes them in sparse mode", async () => {
    for (const [preallocation, expectedBytes] of [
      ["zero-fill", 2 * SIZE],
      ["sparse", 0],
    ] as const) {
      const disk = new SimulatedDisk();
      const service = newService({ io: disk, preallocation });
      const file = await service.putRequestAndReturnMappedFile(
        "/q/" + offsetToFileName(0),
        "/q/" + offsetToFileName(SIZE),
        SIZE,
      );
      await vi.waitFor(() => expect(disk.exists("/q/" + offsetToFileName(SIZE))).toBe(true));
      expect(disk.counters.bytesWritten).toBe(expectedBytes);
      expect(disk.readFile("/q/" + offsetToFileName(SIZE), "durable")).toHaveLength(SIZE);
      await file?.close();
    }
  });
});
