import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import type {
  AppendMessageCallback,
  AppendMessageResult,
  AppendMessageStatus,
} from "../src/index.js";

/** RocketMQ's end-of-file blank record magic (`CommitLog.BLANK_MAGIC_CODE`). */
export const BLANK_MAGIC_CODE = 0xcbd43194;
/** `END_FILE_MIN_BLANK_LENGTH`: a record fits only if 8 bytes remain after it for the blank. */
export const END_FILE_MIN_BLANK_LENGTH = 8;

/** A fresh directory under the OS temp dir, and a function that removes it. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "mapped-file-test-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** What a function threw (fails the test if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
}

export function result(
  status: AppendMessageStatus,
  wroteOffset: number,
  wroteBytes: number,
  storeTimestamp = 0,
): AppendMessageResult {
  return {
    status,
    wroteOffset,
    wroteBytes,
    msgId: "",
    storeTimestamp,
    logicsOffset: 0,
    pagecacheRT: 0,
    msgNum: 1,
  };
}

/** The 8-byte blank record `[maxBlank][BLANK_MAGIC_CODE]`, cut to `maxBlank` when less is left. */
export function blankRecord(maxBlank: number): Buffer {
  const blank = Buffer.alloc(END_FILE_MIN_BLANK_LENGTH);
  blank.writeInt32BE(maxBlank, 0);
  blank.writeUInt32BE(BLANK_MAGIC_CODE, 4);
  return blank.subarray(0, Math.min(END_FILE_MIN_BLANK_LENGTH, maxBlank));
}

/**
 * Stores each message's bytes as one record, the way DefaultAppendMessageCallback does: when the
 * record plus an 8-byte blank does not fit, it writes the blank and reports END_OF_FILE with the whole
 * tail as `wroteBytes`.
 */
export const bytesCallback: AppendMessageCallback<Buffer> = {
  doAppend(fileFromOffset, position, maxBlank, msg) {
    const wroteOffset = fileFromOffset + position;
    if (msg.length + END_FILE_MIN_BLANK_LENGTH > maxBlank) {
      return {
        result: result("END_OF_FILE", wroteOffset, maxBlank, 1234),
        data: blankRecord(maxBlank),
      };
    }
    return { result: result("PUT_OK", wroteOffset, msg.length, 5678), data: msg };
  },
};

/** A callback that always fails with `status` and writes nothing. */
export function failingCallback(status: AppendMessageStatus): AppendMessageCallback<Buffer> {
  return {
    doAppend: (fileFromOffset, position) => ({
      result: result(status, fileFromOffset + position, 0),
      data: null,
    }),
  };
}

/** Deterministic, non-zero-heavy test bytes. */
export function pattern(length: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = (x >>> 16) & 0xff;
  }
  return bytes;
}

let collect: (() => void) | null = null;

/** Runs a full garbage collection (exposes `gc` in this worker on first use). */
export async function collectGarbage(): Promise<void> {
  if (collect === null) {
    setFlagsFromString("--expose-gc");
    collect = runInNewContext("gc") as () => void;
  }
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
