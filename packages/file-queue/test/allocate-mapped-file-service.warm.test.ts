import type { FileIO, MappedFile } from "@store/mapped-file";
import { offsetToFileName } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AllocateMappedFileService, MappedFileQueue } from "../src/index.js";
import { interceptIO } from "./helpers.js";

const MiB = 1024 * 1024;
const SIZE = 4 * MiB; // four 1 MiB reads to warm a file
const DIR = "/store/commitlog";
const at = (offset: number): string => `${DIR}/${offsetToFileName(offset)}`;

const services: AllocateMappedFileService[] = [];
const queues: MappedFileQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.shutdown(0);
  for (const service of services.splice(0)) await service.shutdown();
});

/**
 * A SimulatedDisk that logs creations and reads by path, in order ("create <offset>", "read
 * <offset>"), and can hold reads back until released.
 */
function recordingDisk(): {
  disk: SimulatedDisk;
  io: FileIO;
  log: string[];
  holdReads: () => () => void;
  reads: (offset: number) => number;
} {
  const disk = new SimulatedDisk();
  const log: string[] = [];
  const paths = new Map<number, string>();
  let gate: Promise<void> | null = null;
  const name = (path: string): string =>
    String(Number(path.slice(DIR.length + 1).replace(".tmp", "")));
  const io = interceptIO(disk, {
    open: async (real, path, create) => {
      const fd = await real(path, create);
      paths.set(fd, path);
      if (create && path.endsWith(".tmp")) log.push(`create ${name(path)}`);
      return fd;
    },
    pread: async (real, fd, ...rest) => {
      log.push(`read ${name(paths.get(fd) ?? "?")}`);
      if (gate) await gate;
      return real(fd, ...rest);
    },
  });
  const holdReads = (): (() => void) => {
    let release = (): void => undefined;
    gate = new Promise((resolve) => (release = resolve));
    return () => {
      gate = null;
      release();
    };
  };
  return {
    disk,
    io,
    log,
    holdReads,
    reads: (offset) => log.filter((entry) => entry === `read ${offset}`).length,
  };
}

function newService(
  io: FileIO,
  warmPageCache: boolean | undefined,
  filesAhead = 1,
): AllocateMappedFileService {
  const service = new AllocateMappedFileService({
    io,
    preallocation: "sparse",
    filesAhead,
    ...(warmPageCache === undefined ? {} : { warmPageCache }),
  });
  services.push(service);
  service.start();
  return service;
}

/**
 * A warming service on a recording disk that has handed out file 0 and is reading the file made
 * ahead (at SIZE), its first read held until `release()`.
 */
async function warmingHeld(): Promise<
  ReturnType<typeof recordingDisk> & {
    service: AllocateMappedFileService;
    release: () => void;
    first: MappedFile | null;
  }
> {
  const disk = recordingDisk();
  const service = newService(disk.io, true);
  const release = disk.holdReads();
  const first = await service.putRequestAndReturnMappedFile(at(0), at(SIZE), SIZE);
  await vi.waitFor(() => expect(disk.reads(SIZE)).toBe(1));
  return { ...disk, service, release, first };
}

describe("AllocateMappedFileService warmPageCache", () => {
  it("reads nothing by default", async () => {
    const { io, log } = recordingDisk();
    const service = newService(io, undefined);
    const file = await service.putRequestAndReturnMappedFile(at(0), at(SIZE), SIZE);
    await vi.waitFor(() => expect(service.pendingRequests).toBe(1));
    await service.whenIdle();
    expect(log).toEqual(["create 0", `create ${SIZE}`]);
    await file?.close();
  });

  it("reads every file made ahead once, whole, and never the one handed out", async () => {
    const { io, log, reads } = recordingDisk();
    const service = newService(io, true, 2);
    const queue = new MappedFileQueue({
      storePath: DIR,
      mappedFileSize: SIZE,
      allocateService: service,
      io,
    });
    queues.push(queue);
    expect((await queue.getLastMappedFile(0))?.fileFromOffset).toBe(0);
    await vi.waitFor(() => expect(reads(2 * SIZE)).toBe(4));
    await service.whenIdle();
    expect(log).toEqual([
      "create 0",
      `create ${SIZE}`,
      `create ${2 * SIZE}`,
      ...Array<string>(4).fill(`read ${SIZE}`),
      ...Array<string>(4).fill(`read ${2 * SIZE}`),
    ]);
  });

  it("stops warming a file when the roll-over takes it, and for a creation, which runs first", async () => {
    const held = await warmingHeld(); // the file ahead: its first read is held
    const { service, log, holdReads, reads, first } = held;
    let release = held.release;
    // The roll-over claims it and asks for the next one while that read is under way.
    const second = service.putRequestAndReturnMappedFile(at(SIZE), at(2 * SIZE), SIZE);
    expect((await second)?.fileFromOffset).toBe(SIZE);
    release();
    await vi.waitFor(() => expect(reads(2 * SIZE)).toBe(4));
    await service.whenIdle();
    expect(reads(SIZE)).toBe(1); // handed out: no read after the one in flight
    expect(log.indexOf(`create ${2 * SIZE}`)).toBeLessThan(log.indexOf(`read ${2 * SIZE}`));
    // A creation queued while a file is being warmed goes first; the warming resumes after it.
    release = holdReads();
    const third = service.putRequestAndReturnMappedFile(at(2 * SIZE), at(3 * SIZE), SIZE);
    expect((await third)?.fileFromOffset).toBe(2 * SIZE);
    await vi.waitFor(() => expect(reads(3 * SIZE)).toBe(1));
    const more = service.putRequestAndReturnMappedFile(at(5 * SIZE), at(6 * SIZE), SIZE); // another queue position: two creations
    release();
    expect((await more)?.fileFromOffset).toBe(5 * SIZE);
    await vi.waitFor(() => expect(reads(6 * SIZE)).toBe(4));
    const interrupted = log.indexOf(`read ${3 * SIZE}`);
    expect(log.slice(interrupted + 1, interrupted + 3)).toEqual([
      `create ${5 * SIZE}`,
      `create ${6 * SIZE}`,
    ]);
    await vi.waitFor(() => expect(reads(3 * SIZE)).toBe(1 + 4)); // read again from its start once idle
    for (const file of [first, await second, await third, await more]) await file?.close();
  });

  it("stops warming a file once it is handed out, even with no creation queued", async () => {
    const { service, release, reads, first } = await warmingHeld();
    // Asking again for files that are all known queues no creation (as a retry after a timeout does).
    const claimed = await service.putRequestAndReturnMappedFile(at(SIZE), at(SIZE), SIZE);
    expect(claimed?.fileFromOffset).toBe(SIZE);
    release();
    await service.whenIdle();
    expect(reads(SIZE)).toBe(1);
    await first?.close();
    await claimed?.close();
  });

  it("stops at shutdown without waiting for the whole file", async () => {
    const { service, release, reads, first: file } = await warmingHeld();
    const stopped = service.shutdown();
    release();
    await stopped;
    expect(reads(SIZE)).toBe(1);
    await file?.close();
  });

  it("hands out a file whose warming failed, and the file works", async () => {
    const { disk, io, reads } = recordingDisk();
    const service = newService(io, true);
    disk.failOn("read", "EIO");
    const first = await service.putRequestAndReturnMappedFile(at(0), at(SIZE), SIZE);
    await vi.waitFor(() => expect(reads(SIZE)).toBe(1));
    const next = await service.putRequestAndReturnMappedFile(at(SIZE), at(2 * SIZE), SIZE);
    expect(next?.fileFromOffset).toBe(SIZE);
    expect(next?.appendMessage(Buffer.from("after a failed warm-up"))).toBe(true);
    expect(await next?.flush(0)).toBe(22);
    expect(disk.readFile(at(SIZE), "durable").subarray(0, 22).toString()).toBe(
      "after a failed warm-up",
    );
    await first?.close();
    await next?.close();
  });
});
