import type { MappedFile } from "@store/mapped-file";
import type { Logger } from "pino";
import {
  BLANK_RECORD_LENGTH,
  checkMessageAndReturnSize,
  MESSAGE_MAGIC_CODE,
  recordMagicCode,
  recordStoreTimestamp,
  recordTotalSize,
} from "@store/message-codec";
import type { DispatchUnit } from "@store/message-codec";
import type { CommitLog } from "./commit-log.js";
import type { ScanOptions, ScanStop } from "./commit-log-scanner.js";
import { SCAN_CHUNK_BYTES, scanFileRecords } from "./commit-log-scanner.js";
import type { StoreCheckpoint } from "./store-checkpoint.js";

/** What recovery found and cut, for the log and for tests. */
export interface RecoveryReport {
  /** normal: clean shutdown (no abort file); abnormal: crash; empty: no commit-log files. */
  readonly mode: "normal" | "abnormal" | "empty";
  /** Offset where validation started (start of the chosen file). */
  readonly startOffset: number;
  /** End of the last valid record: the new end of the log. */
  readonly processOffset: number;
  /** Valid records scanned. */
  readonly recordsScanned: number;
  /** Why the scan stopped: END (clean), or the decoder's failure code at processOffset. */
  readonly stopReason: string;
  /** Bytes of recognisable records (the bad one and any valid ones after it) that were cut. */
  readonly truncatedBytes: number;
  /** Records cut: the invalid one (if any) and valid records found after it. */
  readonly truncatedRecords: number;
  /** Whole files removed after processOffset. */
  readonly truncatedFiles: number;
  /**
   * Bytes zeroed past processOffset in the file where the log now ends: what a crash left there
   * (a torn record, or whole records after a hole), which later appends could otherwise line up with.
   */
  readonly staleBytesCleared: number;
}

/** The report of a log with no files: nothing scanned, nothing cut. */
export function emptyRecoveryReport(): RecoveryReport {
  return {
    mode: "empty",
    startOffset: 0,
    processOffset: 0,
    recordsScanned: 0,
    stopReason: "END",
    truncatedBytes: 0,
    truncatedRecords: 0,
    truncatedFiles: 0,
    staleBytesCleared: 0,
  };
}

/** Options of commit-log recovery: CRC checks, and the dispatcher fed with the records it scans. */
export interface RecoverOptions {
  readonly abnormal: boolean;
  readonly checkpoint: StoreCheckpoint;
  readonly checkCRC: boolean;
  /** With checkCRC: verify each record's whole-record CRC property (RocketMQ's forceVerifyPropCRC). */
  readonly forceVerifyPropCRC?: boolean;
  readonly maxRecordBytes: number;
  readonly logger: Logger;
  /**
   * Abnormal recovery only: given every valid message's consume-queue unit (with its commit-log
   * offset), in order, a chunk at a time, as the scan reads them (RocketMQ's recoverAbnormally
   * dispatches the same way), so the log is read once instead of twice. A null unit is a record
   * that validated but could not be read as a unit: the caller must index the log again.
   */
  readonly dispatch?: (units: (DispatchUnit | null)[], offsets: number[]) => Promise<void>;
  /** With dispatch: read each unit's KEYS and UNIQ_KEY too (the message index). */
  readonly withKeys?: boolean;
  /** The file to validate from (see recoveryStartIndex); default: the one it picks. */
  readonly startIndex?: number;
}

/** Chunks a dispatching recovery scan reads before it hands their units over (4 MiB). */
const DISPATCH_EVERY_CHUNKS = 16;

/**
 * Recovers the commit log after load (RocketMQ recoverNormally / recoverAbnormally): validates
 * every record (magic, size bounds, CRCs: with forceVerifyPropCRC the whole-record CRC property, or
 * for a record without one that it ends complete) from the chosen start file, stops at the first
 * invalid one, sets flushed and committed positions there and cuts the dirty tail. Never throws on
 * a corrupt tail.
 */
export async function recoverCommitLog(
  commitLog: CommitLog,
  options: RecoverOptions,
): Promise<RecoveryReport> {
  const queue = commitLog.mappedFileQueue;
  const files = queue.mappedFiles;
  const mode = options.abnormal ? "abnormal" : "normal";
  if (files.length === 0) {
    queue.flushedWhere = queue.committedWhere = 0;
    return emptyRecoveryReport();
  }
  const index =
    options.startIndex ?? (await recoveryStartIndex(files, options.abnormal, options.checkpoint));
  const startOffset = (files[index] as MappedFile).fileFromOffset;
  const dispatch = options.abnormal ? options.dispatch : undefined;
  const scan = recoveryScanOptions(options, dispatch !== undefined);
  const { processOffset, recordsScanned, stopReason } = await validateFiles(
    files,
    index,
    scan,
    dispatch,
  );
  const cut = await measureCut(commitLog, processOffset, scan);
  const truncatedFiles = files.filter((f) => f.fileFromOffset > processOffset).length;
  const staleBytesCleared = await cutDirtyTail(
    commitLog,
    processOffset,
    startOffset,
    options.abnormal,
  );
  const report: RecoveryReport = {
    mode,
    startOffset,
    processOffset,
    recordsScanned,
    stopReason,
    ...cut,
    truncatedFiles,
    staleBytesCleared,
  };
  logRecovery(options.logger, report);
  return report;
}

/** The scan recovery validates with: whole chunks, bodies read, units only when it dispatches. */
function recoveryScanOptions(options: RecoverOptions, withUnits: boolean): ScanOptions {
  return {
    checkCRC: options.checkCRC,
    propertiesCrc: options.forceVerifyPropCRC === true ? "force" : "ignore",
    readBody: true,
    chunkBytes: SCAN_CHUNK_BYTES,
    readBuffer: Buffer.allocUnsafeSlow(SCAN_CHUNK_BYTES),
    maxRecordBytes: options.maxRecordBytes,
    validateOnly: true,
    withUnits,
    withKeys: options.withKeys === true,
  };
}

/** Where validation stopped (end of the last valid record), and why. */
interface ValidatedEnd {
  readonly processOffset: number;
  readonly recordsScanned: number;
  /** END, or the decoder's failure code at processOffset. */
  readonly stopReason: string;
}

/**
 * Validates `files` from `startIndex` on, going to the next file while each ends with a blank
 * record; stops in the first file that ends otherwise (its end of data, or an invalid record).
 */
async function validateFiles(
  files: readonly MappedFile[],
  startIndex: number,
  scan: ScanOptions,
  dispatch: RecoverOptions["dispatch"],
): Promise<ValidatedEnd> {
  let records = 0;
  let processOffset = (files[startIndex] as MappedFile).fileFromOffset;
  let stopReason = "END";
  for (let index = startIndex; index < files.length; index++) {
    const file = files[index] as MappedFile;
    const stop =
      dispatch === undefined
        ? await scanFileRecords(file, 0, scan, () => records++)
        : await scanDispatching(file, scan, dispatch, () => records++);
    processOffset = file.fileFromOffset + stop.position;
    if (stop.reason === "BLANK") continue;
    if (stop.reason === "INVALID") stopReason = stop.record.code;
    break;
  }
  return { processOffset, recordsScanned: records, stopReason };
}

/**
 * Publishes `processOffset` as the flushed and committed end, removes the files past it and zeroes
 * the stale bytes after it; returns the bytes zeroed in the file where the log now ends.
 */
async function cutDirtyTail(
  commitLog: CommitLog,
  processOffset: number,
  startOffset: number,
  abnormal: boolean,
): Promise<number> {
  const queue = commitLog.mappedFileQueue;
  queue.flushedWhere = processOffset;
  queue.committedWhere = processOffset;
  await queue.truncateDirtyFiles(processOffset);
  // The file the next append goes to: zero whatever lies past the cut in it. After a crash, the
  // validated files may hold bytes a kill -9 left in the page cache that never reached the disk:
  // fdatasync them, so the flushed position now published is true.
  const tail = queue.findMappedFileByOffset(processOffset);
  const staleBytesCleared = tail ? await tail.clearStaleTail(abnormal) : 0;
  if (abnormal) {
    for (const file of queue.mappedFiles)
      if (file !== tail && file.fileFromOffset >= startOffset) await file.clearStaleTail(true);
  }
  return staleBytesCleared;
}

/** Logs the report: a warning when recovery cut or zeroed anything, else info. */
function logRecovery(logger: Logger, report: RecoveryReport): void {
  const {
    mode,
    processOffset,
    truncatedBytes,
    truncatedRecords,
    truncatedFiles,
    staleBytesCleared,
  } = report;
  const level =
    truncatedRecords > 0 || truncatedFiles > 0 || staleBytesCleared > 0 ? "warn" : "info";
  logger[level](
    report,
    `commit log recovered (${mode}): end at ${processOffset}, cut ${truncatedBytes} bytes in ${truncatedRecords} records and ${truncatedFiles} files, zeroed ${staleBytesCleared} stale bytes past the end`,
  );
}

/** Scans a whole file like scanFileRecords, handing `dispatch` the units of every few chunks. */
async function scanDispatching(
  file: MappedFile,
  scan: ScanOptions,
  dispatch: NonNullable<RecoverOptions["dispatch"]>,
  counted: () => void,
): Promise<ScanStop> {
  let position = 0;
  for (;;) {
    const units: (DispatchUnit | null)[] = [];
    const offsets: number[] = [];
    const stop = await scanFileRecords(
      file,
      position,
      scan,
      (unit, at) => {
        counted();
        units.push(unit);
        offsets.push(file.fileFromOffset + at);
      },
      DISPATCH_EVERY_CHUNKS,
    );
    if (units.length > 0) await dispatch(units, offsets);
    // END short of the readable end with progress: the chunk budget ran out, so go on from there.
    if (stop.reason !== "END" || stop.position === position || stop.position >= file.readPosition)
      return stop;
    position = stop.position;
  }
}

/** Chunk size for reporting a cut: at least two of the largest records, at least 4 MiB. */
export function chunkBytesFor(maxRecordBytes: number): number {
  return Math.max(4 * 1024 * 1024, 2 * maxRecordBytes);
}

/**
 * Where recovery starts validating: after a crash (`abnormal`), the newest file whose first record
 * is a message stored no later than the checkpoint's minimum timestamp (everything before it is
 * known to be flushed and dispatched; the first file when none is); otherwise the third-last file.
 */
export async function recoveryStartIndex(
  files: readonly MappedFile[],
  abnormal: boolean,
  checkpoint: StoreCheckpoint,
): Promise<number> {
  return abnormal ? abnormalStartIndex(files, checkpoint) : Math.max(0, files.length - 3);
}

async function abnormalStartIndex(
  files: readonly MappedFile[],
  checkpoint: StoreCheckpoint,
): Promise<number> {
  const minTimestamp = checkpoint.getMinTimestamp();
  for (let index = files.length - 1; index >= 0; index--) {
    const head = await (files[index] as MappedFile).selectMappedBuffer(0, 128);
    if (head === null) continue;
    try {
      const buffer = head.buffer;
      if (recordMagicCode(buffer) !== MESSAGE_MAGIC_CODE) continue;
      const storeTimestamp = recordStoreTimestamp(buffer);
      if (storeTimestamp !== 0 && storeTimestamp <= minTimestamp) return index;
    } finally {
      head.release();
    }
  }
  return 0;
}

/**
 * What truncating at `offset` throws away: the record there (when it is one, however damaged) and
 * any valid records right after it. Reads at most one chunk.
 */
async function measureCut(
  commitLog: CommitLog,
  offset: number,
  scan: ScanOptions,
): Promise<{ truncatedBytes: number; truncatedRecords: number }> {
  const data = await commitLog.getData(offset, chunkBytesFor(scan.maxRecordBytes));
  if (data === null) return { truncatedBytes: 0, truncatedRecords: 0 };
  try {
    const buffer = data.buffer;
    if (
      buffer.length < BLANK_RECORD_LENGTH ||
      recordTotalSize(buffer) <= 0 ||
      recordMagicCode(buffer) !== MESSAGE_MAGIC_CODE
    ) {
      return { truncatedBytes: 0, truncatedRecords: 0 };
    }
    let at = Math.min(recordTotalSize(buffer), buffer.length);
    let records = 1;
    while (at < buffer.length) {
      const result = checkMessageAndReturnSize(buffer, at, scan.checkCRC, true, {
        forceVerifyPropCRC: scan.propertiesCrc === "force",
      });
      if (result.kind !== "MESSAGE") break;
      records++;
      at += result.size;
    }
    return { truncatedBytes: at, truncatedRecords: records };
  } finally {
    data.release();
  }
}
