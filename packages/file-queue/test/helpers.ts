import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  AppendMessageCallback,
  AppendMessageResult,
  AppendMessageStatus,
  FileIO,
} from "@store/mapped-file";
import { afterEach } from "vitest";
import type { MappedFileQueue } from "../src/index.js";

/** A fresh directory under os.tmpdir() for each call; all are removed after each test. */
export function useTempDirs(): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), "file-queue-test-"));
    made.push(dir);
    return dir;
  };
}

/** Builds an AppendMessageResult for the test callback. */
function resultOf(
  status: AppendMessageStatus,
  wroteOffset: number,
  wroteBytes: number,
): AppendMessageResult {
  return {
    status,
    wroteOffset,
    wroteBytes,
    msgId: "",
    storeTimestamp: Date.now(),
    logicsOffset: 0,
    pagecacheRT: 0,
    msgNum: 1,
  };
}

/** An 8-byte end-of-file marker, as the commit log writes one (size + blank magic). */
export const BLANK_RECORD = Buffer.from([0, 0, 0, 0, 0xcb, 0xd4, 0x31, 0x94]);

/**
 * A commit-log-like callback: a record that does not fit with room for the blank record fills the
 * file's tail (END_OF_FILE), so the file becomes full and the caller rolls over.
 */
export const recordCallback: AppendMessageCallback<Buffer> = {
  doAppend(fileFromOffset, position, maxBlank, msg) {
    if (msg.length + BLANK_RECORD.length > maxBlank) {
      return {
        result: resultOf("END_OF_FILE", fileFromOffset + position, maxBlank),
        data: BLANK_RECORD.subarray(0, maxBlank),
      };
    }
    return { result: resultOf("PUT_OK", fileFromOffset + position, msg.length), data: msg };
  },
};

/** Appends one record the way the commit log does: on END_OF_FILE, roll over to a new file and retry once. */
export async function putRecord(queue: MappedFileQueue, msg: Buffer): Promise<AppendMessageResult> {
  let file = await queue.getLastMappedFile(0);
  if (file === null) throw new Error(`no file: ${queue.lastCreateError?.message}`);
  let result = file.appendMessage(msg, recordCallback);
  if (result.status === "END_OF_FILE") {
    file = await queue.getLastMappedFile(0);
    if (file === null) throw new Error(`no file: ${queue.lastCreateError?.message}`);
    result = file.appendMessage(msg, recordCallback);
  }
  return result;
}

/** Appends raw bytes to the last file, creating one when needed. */
export async function appendRaw(queue: MappedFileQueue, data: Buffer): Promise<boolean> {
  const file = await queue.getLastMappedFile(0);
  return file?.appendMessage(data) ?? false;
}

/** Loops flush(0) until it stops advancing; returns how many calls advanced. */
export async function flushAll(queue: MappedFileQueue): Promise<number> {
  let advanced = 0;
  while (await queue.flush(0)) advanced++;
  return advanced;
}

/** Loops commit(0) until it stops advancing; returns how many calls advanced. */
export async function commitAll(queue: MappedFileQueue): Promise<number> {
  let advanced = 0;
  while (await queue.commit(0)) advanced++;
  return advanced;
}

/** Reads `[offset, offset + size)` through the queue, or null when not (yet) readable. */
export async function readAt(
  queue: MappedFileQueue,
  offset: number,
  size: number,
): Promise<Buffer | null> {
  const file = queue.findMappedFileByOffset(offset);
  if (file === null) return null;
  const result = await file.selectMappedBuffer(offset - file.fileFromOffset, size);
  if (result === null) return null;
  const bytes = Buffer.from(result.buffer);
  result.release();
  return bytes;
}

type IOMethod<K extends keyof FileIO> = FileIO[K] extends (...args: infer A) => infer R
  ? (...args: A) => R
  : never;

/** Stand-ins for FileIO methods: each gets the real method (bound) and the call's arguments. */
export type Interceptors = {
  [K in keyof FileIO]?: (
    real: IOMethod<K>,
    ...args: Parameters<IOMethod<K>>
  ) => ReturnType<IOMethod<K>>;
};

/**
 * A FileIO that calls `io` for everything but the methods named in `interceptors`, which run
 * instead (and call through to the real method when they like): for tests that watch or hold I/O.
 */
export function interceptIO(io: FileIO, interceptors: Interceptors): FileIO {
  return new Proxy(io, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const real = (value as (...args: unknown[]) => unknown).bind(target);
      const interceptor = interceptors[property as keyof FileIO] as
        ((real: unknown, ...args: unknown[]) => unknown) | undefined;
      return interceptor ? (...args: unknown[]) => interceptor(real, ...args) : real;
    },
  });
}
