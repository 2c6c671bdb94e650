import type { MappedFile } from "@store/mapped-file";
import {
  BLANK_RECORD_LENGTH,
  checkMessageAndReturnSize,
  END_FILE_MIN_BLANK_LENGTH,
  MESSAGE_MAGIC_CODE,
  readDispatchUnit,
  recordMagicCode,
  recordTotalSize,
  validateRecord,
} from "@store/message-codec";
import type { DispatchUnit, InvalidRecord, PropertiesCrcCheck } from "@store/message-codec";

/** Where and why a scan of one file stopped. */
export type ScanStop =
  /** The readable data ended (no more records yet), or a zeroed header marks where appends stopped. */
  | { readonly reason: "END"; readonly position: number }
  /** A blank record closes the file here: the next record is in the next file. */
  | { readonly reason: "BLANK"; readonly position: number }
  /** The record at `position` is invalid (torn, zeroed, corrupt). */
  | { readonly reason: "INVALID"; readonly position: number; readonly record: InvalidRecord };

export interface ScanOptions {
  /** Verify each body's CRC (and, per `propertiesCrc`, each record's). */
  readonly checkCRC: boolean;
  /** With checkCRC: what to check of each record's `__CRC32#` property. Default "ignore". */
  readonly propertiesCrc?: PropertiesCrcCheck;
  /** Parse bodies (needed for the CRC). */
  readonly readBody: boolean;
  /** Bytes per read; a record longer than this is read whole with one larger read. */
  readonly chunkBytes: number;
  /**
   * A buffer reused for every read that fits in it (at least `chunkBytes`). A fresh multi-MiB buffer
   * per read costs page faults and cache misses worth more than the scan itself; a reused one stays
   * mapped and in cache. Only safe when `visit` keeps nothing that views the chunk (units are copied
   * out). Omitted: a new buffer per read.
   */
  readonly readBuffer?: Buffer;
  /** Largest record the configured body limit allows, bytes (sizes the chunks; see chunkBytesFor). */
  readonly maxRecordBytes: number;
  /** Only validate (recovery): `visit` gets null instead of a parsed request, and nothing is allocated. */
  readonly validateOnly?: boolean;
  /**
   * With validateOnly: `visit` gets each valid message's consume-queue unit (an abnormal recovery
   * dispatches as it scans); null for one the dispatch reader cannot read.
   */
  readonly withUnits?: boolean;
  /** Read only what a consume-queue unit needs (dispatch): no CRC, no properties map. */
  readonly dispatchOnly?: boolean;
  /** With dispatchOnly or withUnits: also read each message's KEYS and UNIQ_KEY (the message index). */
  readonly withKeys?: boolean;
}

/** The unit, or null if the dispatch reader sees no message where validation saw one. */
function messageUnit(read: ReturnType<typeof readDispatchUnit>): DispatchUnit | null {
  return read.kind === "MESSAGE" ? read : null;
}

/**
 * Bytes per read of the recovery and dispatch scans, into one reused buffer (a record longer than
 * this is read whole with one larger read). Measured on the reference VM: with a fresh 8 MiB buffer
 * per read, the dispatcher's scan cost more main-thread time than all the puts it indexed; with a
 * reused 256 KiB one, about a third of that.
 */
export const SCAN_CHUNK_BYTES = 256 * 1024;

/**
 * Reads a commit-log file's records from `position` in large chunks and calls `visit` for each valid
 * message, in order, synchronously. Stops at a blank record, an invalid record, the end of the
 * readable data, or after `maxChunks` reads (reason END at the next unread record).
 */
export async function scanFileRecords(
  file: MappedFile,
  position: number,
  options: ScanOptions,
  visit: (request: DispatchUnit | null, position: number) => void,
  maxChunks = Number.POSITIVE_INFINITY,
): Promise<ScanStop> {
  let at = position;
  let want = options.chunkBytes;
  const limit = file.readPosition;
  for (let chunks = 0; at < limit && chunks < maxChunks;) {
    const chunk = await file.selectMappedBuffer(at, Math.min(want, limit - at), options.readBuffer);
    if (chunk === null) return { reason: "END", position: at };
    let step: ChunkStep;
    try {
      step = scanChunk(chunk.buffer, at, limit, options, visit);
    } finally {
      chunk.release();
    }
    if (step.stop) return step.stop;
    // A re-read of a record longer than the chunk (want grows to its size) is not a new chunk:
    // counting it would stop a one-chunk caller (the dispatcher) before that record forever.
    if (step.next > at) chunks++;
    at = step.next;
    want = Math.max(options.chunkBytes, step.wantBytes ?? 0);
  }
  return { reason: "END", position: at };
}

interface ChunkStep {
  readonly next: number;
  readonly stop?: ScanStop;
  /** Bytes the next read must cover: the record at `next` is longer than the chunk was. */
  readonly wantBytes?: number;
}

function scanChunk(
  buffer: Buffer,
  base: number,
  limit: number,
  options: ScanOptions,
  visit: (request: DispatchUnit | null, position: number) => void,
): ChunkStep {
  let at = 0;
  while (at < buffer.length) {
    const remaining = buffer.length - at;
    if (remaining >= END_FILE_MIN_BLANK_LENGTH) {
      const size = recordTotalSize(buffer, at);
      const magic = recordMagicCode(buffer, at);
      // A record cut by the chunk end but inside the readable data: read it again, whole, from its
      // start. Not bounded by the configured body limit: commitLog.maxMessageSize can be raised at
      // run time, and whether a record is valid must not depend on where a chunk happens to end.
      if (magic === MESSAGE_MAGIC_CODE && size > remaining && base + at + size <= limit) {
        return { next: base + at, wantBytes: size };
      }
    } else if (base + buffer.length < limit && at > 0) {
      return { next: base + at };
    }
    if (options.validateOnly) {
      const checked = validateRecord(buffer, at, options.checkCRC, options.propertiesCrc);
      if (typeof checked === "number" && checked > 0) {
        visit(
          options.withUnits ? messageUnit(readDispatchUnit(buffer, at, options.withKeys)) : null,
          base + at,
        );
        at += checked;
        continue;
      }
    }
    const result = options.dispatchOnly
      ? readDispatchUnit(buffer, at, options.withKeys)
      : checkMessageAndReturnSize(buffer, at, options.checkCRC, options.readBody, {
          forceVerifyPropCRC: options.propertiesCrc === "force",
        });
    if (result.kind === "BLANK")
      return { next: base + at, stop: { reason: "BLANK", position: base + at } };
    if (result.kind === "INVALID") {
      // A zeroed header is where appends stopped (pre-allocated space), not damage.
      const zeroed =
        remaining >= BLANK_RECORD_LENGTH &&
        recordTotalSize(buffer, at) === 0 &&
        recordMagicCode(buffer, at) === 0;
      const stop: ScanStop = zeroed
        ? { reason: "END", position: base + at }
        : { reason: "INVALID", position: base + at, record: result };
      return { next: base + at, stop };
    }
    visit(result, base + at);
    at += result.size;
  }
  return { next: base + at };
}
