// Helpers for the integration tests: the real MappedFileQueue over SimulatedDisk, a FileIO wrapper
// that cuts power (or kills the process) at the N-th I/O call, and a byte model of the log.
import { join } from "node:path";
import { MappedFileQueue } from "@store/file-queue";
import type {
  AppendMessageCallback,
  AppendMessageResult,
  FileIO,
  FileStat,
} from "@store/mapped-file";
import { TransientStorePool, offsetToFileName } from "@store/mapped-file";
import { SimulatedDisk } from "@store/mapped-file/testing";

export const STORE = "/store/commitlog";

/** An 8-byte end-of-file marker, as the commit log writes one (size + blank magic). */
const BLANK_RECORD = Buffer.from([0, 0, 0, 0, 0xcb, 0xd4, 0x31, 0x94]);

/** A commit-log-like callback: a record that does not fit (with room for a blank) fills the tail. */
const recordCallback: AppendMessageCallback<Buffer> = {
  doAppend(fileFromOffset, position, maxBlank, msg) {
    const base = {
      msgId: "",
      storeTimestamp: Date.now(),
      logicsOffset: 0,
      pagecacheRT: 0,
      msgNum: 1,
    };
    if (msg.length + BLANK_RECORD.length > maxBlank) {
      const result: AppendMessageResult = {
        ...base,
        status: "END_OF_FILE",
        wroteOffset: fileFromOffset + position,
        wroteBytes: maxBlank,
      };
      return { result, data: BLANK_RECORD.subarray(0, maxBlank) };
    }
    return {
      result: {
        ...base,
        status: "PUT_OK",
        wroteOffset: fileFromOffset + position,
        wroteBytes: msg.length,
      },
      data: msg,
    };
  },
};

export type Crash = "powerCut" | "processCrash";

/**
 * FileIO over a SimulatedDisk that crashes the disk just before its `cutAt`-th call (an fdatasync
 * counts twice: when it starts and when it completes, so a cut can land while one is in flight).
 */
export class CrashingIO implements FileIO {
  readonly disk: SimulatedDisk;
  ops = 0;
  cutAt = Number.POSITIVE_INFINITY;
  crash: Crash = "powerCut";
  crashed = false;
  /** Called right after the crash, e.g. to snapshot positions. */
  onCrash: () => void = () => undefined;

  constructor(disk: SimulatedDisk) {
    this.disk = disk;
  }

  #tick(): void {
    this.ops++;
    if (this.crashed || this.ops < this.cutAt) return;
    this.crashed = true;
    if (this.crash === "powerCut") this.disk.powerCut();
    else this.disk.processCrash();
    this.onCrash();
  }

  open(path: string, create: boolean): Promise<number> {
    this.#tick();
    return this.disk.open(path, create);
  }
  stat(path: string): Promise<FileStat | null> {
    return this.disk.stat(path);
  }
  pwrite(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<void> {
    this.#tick();
    return this.disk.pwrite(fd, buffer, offset, length, position);
  }
  pwriteSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): void {
    this.#tick();
    this.disk.pwriteSync(fd, buffer, offset, length, position);
  }
  pread(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<number> {
    return this.disk.pread(fd, buffer, offset, length, position);
  }
  async fdatasync(fd: number): Promise<void> {
    this.#tick();
    await this.disk.fdatasync(fd);
    this.#tick();
  }
  truncate(fd: number, size: number): Promise<void> {
    this.#tick();
    return this.disk.truncate(fd, size);
  }
  close(fd: number): Promise<void> {
    return this.disk.close(fd);
  }
  unlink(path: string): Promise<void> {
    this.#tick();
    return this.disk.unlink(path);
  }
  rename(from: string, to: string): Promise<void> {
    this.#tick();
    return this.disk.rename(from, to);
  }
  mkdir(path: string): Promise<string | undefined> {
    return this.disk.mkdir(path);
  }
  readdir(path: string): Promise<string[]> {
    return this.disk.readdir(path);
  }
  rmdir(path: string): Promise<void> {
    return this.disk.rmdir(path);
  }
  syncDirectory(path: string): Promise<void> {
    this.#tick();
    return this.disk.syncDirectory(path);
  }
}

/** Record bytes that are never 0, distinct per sequence number. */
export function recordBytes(sequence: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = ((sequence * 31 + i) % 255) + 1;
  return bytes;
}

export interface SimStore {
  readonly disk: SimulatedDisk;
  readonly io: CrashingIO;
  readonly queue: MappedFileQueue;
  readonly fileSize: number;
  /** What the log should hold, by absolute offset (records and blank markers). */
  readonly model: Buffer;
}

/**
 * A queue over a fresh simulated disk; `pool` gives it a TransientStorePool of 8 buffers; `wrapIO`
 * puts a recorder between the queue and the disk.
 */
export function simStore(options: {
  fileSize: number;
  pool?: boolean;
  maxLogBytes?: number;
  fsyncLatencyMs?: number;
  wrapIO?: (io: FileIO) => FileIO;
}): SimStore {
  const disk = new SimulatedDisk(
    options.fsyncLatencyMs === undefined ? {} : { fsyncLatencyMs: options.fsyncLatencyMs },
  );
  const io = new CrashingIO(disk);
  let transientStorePool: TransientStorePool | null = null;
  if (options.pool) {
    transientStorePool = new TransientStorePool(8, options.fileSize);
    transientStorePool.init();
  }
  const queue = new MappedFileQueue({
    storePath: STORE,
    mappedFileSize: options.fileSize,
    io: options.wrapIO?.(io) ?? io,
    transientStorePool,
  });
  const model = Buffer.alloc(options.maxLogBytes ?? 64 * options.fileSize);
  return { disk, io, queue, fileSize: options.fileSize, model };
}

/**
 * Appends one record as the commit log does (rolling over on END_OF_FILE) and mirrors it in the model.
 * Returns the offset just past the record, or null when the append failed (e.g. after a crash).
 */
export async function appendRecord(store: SimStore, bytes: Buffer): Promise<number | null> {
  // Concurrent writers may find the file they awaited already filled by another one: try again
  // (the commit log serialises appends under a lock instead).
  for (let attempt = 0; attempt < 8; attempt++) {
    const file = await store.queue.getLastMappedFile(0);
    if (file === null) return null;
    if (file.isFull()) continue;
    let result: AppendMessageResult;
    try {
      result = file.appendMessage(bytes, recordCallback);
    } catch {
      return null;
    }
    if (result.status === "PUT_OK") {
      bytes.copy(store.model, result.wroteOffset);
      // Page-cache mode writes a tick's appends together: like the commit log, answer after that write.
      const written = file.whenWritten();
      if (
        written !== null &&
        !(await written.then(
          () => true,
          () => false,
        ))
      )
        return null;
      return result.wroteOffset + result.wroteBytes;
    }
    if (result.status !== "END_OF_FILE") return null;
    BLANK_RECORD.subarray(0, Math.min(BLANK_RECORD.length, result.wroteBytes)).copy(
      store.model,
      result.wroteOffset,
    );
  }
  throw new Error("a record did not fit in a fresh file");
}

/** The log's bytes `[from, to)` as the disk holds them: `durable` survives a power cut, `current` a kill. */
export function logBytes(
  store: SimStore,
  from: number,
  to: number,
  view: "current" | "durable",
): Buffer {
  const out = Buffer.alloc(Math.max(0, to - from));
  for (let at = from; at < to;) {
    const fileStart = Math.floor(at / store.fileSize) * store.fileSize;
    const end = Math.min(to, fileStart + store.fileSize);
    const path = join(STORE, offsetToFileName(fileStart));
    const file = store.disk.exists(path) ? store.disk.readFile(path, view) : Buffer.alloc(0);
    file.copy(out, at - from, at - fileStart, Math.min(end - fileStart, file.length));
    at = end;
  }
  return out;
}

/** Whether `[from, to)` of the log is on disk exactly as appended. */
export function holds(
  store: SimStore,
  from: number,
  to: number,
  view: "current" | "durable",
): boolean {
  return logBytes(store, from, to, view).equals(store.model.subarray(from, to));
}
