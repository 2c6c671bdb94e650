import type { CommitLog } from "./commit-log.js";
import type { ConsumeQueue, ConsumeQueueUnit } from "./consume-queue.js";
import { isHoleUnit } from "./consume-queue.js";
import type { GetMessageResult, GetMessageStatus } from "./store-types.js";

/** Pull limits (RocketMQ's maxTransferCountOnMessageInMemory / maxTransferBytesOnMessageInMemory). */
export interface PullLimits {
  /** Most messages one pull returns. */
  readonly maxCount: number;
  /** Most bytes one pull returns (at least one message always goes). */
  readonly maxBytes: number;
}

/** A pull returns at most 32 messages and 256 KiB, as RocketMQ's defaults. */
export const DEFAULT_PULL_LIMITS: PullLimits = { maxCount: 32, maxBytes: 256 * 1024 };

/**
 * Decides from a consume-queue unit's tagsCode (the TAGS hash) whether a pull wants its message, so
 * unwanted records are never read (RocketMQ's MessageFilter.isMatchedByConsumeQueue).
 */
export type ConsumeQueueFilter = (tagsCode: number) => boolean;

/** Units a filtered pull scans at most (RocketMQ: 16 000 bytes of consume queue, 800 units). */
export const FILTER_SCAN_UNITS = 800;

/** Adjacent records further apart than this are read separately, not as one span. */
const MAX_SPAN_GAP_BYTES = 64 * 1024;

function empty(
  status: GetMessageStatus,
  nextBeginOffset: number,
  minOffset: number,
  maxOffset: number,
): GetMessageResult {
  return { status, messages: [], nextBeginOffset, minOffset, maxOffset, bufferTotalSize: 0 };
}

/**
 * Reads up to `maxMsgNums` messages of one queue from queue offset `offset` (RocketMQ's
 * DefaultMessageStore.getMessage, master semantics: the next offset is corrected to the valid range).
 * Records adjacent in the commit log are read with one pread.
 */
export async function readQueueMessages(
  commitLog: CommitLog,
  queue: ConsumeQueue | undefined,
  offset: number,
  maxMsgNums: number,
  limits: PullLimits = DEFAULT_PULL_LIMITS,
  filter?: ConsumeQueueFilter,
): Promise<GetMessageResult> {
  if (queue === undefined) return empty("NO_MATCHED_LOGIC_QUEUE", 0, 0, 0);
  const minOffset = queue.getMinOffsetInQueue();
  const maxOffset = queue.getMaxOffsetInQueue();
  if (maxOffset === 0) return empty("NO_MESSAGE_IN_QUEUE", 0, minOffset, maxOffset);
  if (offset < minOffset) return empty("OFFSET_TOO_SMALL", minOffset, minOffset, maxOffset);
  if (offset === maxOffset) return empty("OFFSET_OVERFLOW_ONE", offset, minOffset, maxOffset);
  if (offset > maxOffset)
    return empty(
      "OFFSET_OVERFLOW_BADLY",
      minOffset === 0 ? minOffset : maxOffset,
      minOffset,
      maxOffset,
    );
  const wanted = Math.max(1, Math.min(maxMsgNums, limits.maxCount));
  const scanned = await queue.getUnits(
    offset,
    filter === undefined ? wanted : Math.max(wanted, FILTER_SCAN_UNITS),
  );
  if (scanned.length === 0)
    return empty("OFFSET_FOUND_NULL", nextReadableOffset(offset, maxOffset), minOffset, maxOffset);
  const selection = filter === undefined ? null : selectMatching(scanned, filter, wanted);
  const units = selection === null ? scanned : selection.units;
  if (selection !== null && units.length === 0)
    return empty("NO_MATCHED_MESSAGE", offset + selection.scannedCount, minOffset, maxOffset);
  const read = await readUnits(commitLog, units, limits.maxBytes);
  const { messages, consumed } = read;
  const nextBeginOffset =
    offset + (selection === null ? consumed : selection.consumedThrough(consumed));
  if (messages.length > 0)
    return {
      status: "FOUND",
      messages,
      nextBeginOffset,
      minOffset,
      maxOffset,
      bufferTotalSize: read.totalBytes,
    };
  return empty(
    read.removing
      ? "MESSAGE_WAS_REMOVING"
      : consumed > 0
        ? "NO_MATCHED_MESSAGE"
        : "OFFSET_FOUND_NULL",
    nextBeginOffset,
    minOffset,
    maxOffset,
  );
}

/** What readUnits took from the selected units. */
interface UnitsRead {
  readonly messages: Buffer[];
  /** Bytes of `messages`. */
  readonly totalBytes: number;
  /** Leading units covered: read, or skipped as holes or as records already deleted. */
  readonly consumed: number;
  /** Some skipped unit's record lies below the commit log's minimum offset (deleted). */
  readonly removing: boolean;
}

/**
 * Reads the units' records span by span, skipping holes and records already deleted, until a span
 * would take the messages past `maxBytes` (the first span read always goes) or the log no longer
 * has its records.
 */
async function readUnits(
  commitLog: CommitLog,
  units: readonly ConsumeQueueUnit[],
  maxBytes: number,
): Promise<UnitsRead> {
  const phyMin = commitLog.getMinOffset();
  const messages: Buffer[] = [];
  let totalBytes = 0;
  let consumed = 0;
  let removing = false;
  for (const span of spans(units)) {
    if (messages.length > 0 && totalBytes + span.bytes > maxBytes) break;
    if (
      span.units[0] !== undefined &&
      (span.units[0].offset < phyMin || isHoleUnit(span.units[0]))
    ) {
      removing ||= !isHoleUnit(span.units[0]);
      consumed += span.units.length;
      continue;
    }
    const records = await readSpan(commitLog, span);
    if (records === null) break;
    for (const record of records) {
      messages.push(record);
      totalBytes += record.length;
    }
    consumed += span.units.length;
  }
  return { messages, totalBytes, consumed, removing };
}

interface Selection {
  readonly units: ConsumeQueueUnit[];
  /** Units scanned (matched or skipped) up to the last one selected, or all of them. */
  readonly scannedCount: number;
  /** Scanned units covered once the first `consumed` selected units were taken. */
  consumedThrough(consumed: number): number;
}

/** The first `wanted` units the filter accepts; skipped units still count as consumed. */
function selectMatching(
  scanned: readonly ConsumeQueueUnit[],
  filter: ConsumeQueueFilter,
  wanted: number,
): Selection {
  const units: ConsumeQueueUnit[] = [];
  const indexes: number[] = [];
  let scannedCount = scanned.length;
  for (let index = 0; index < scanned.length; index++) {
    const unit = scanned[index] as ConsumeQueueUnit;
    if (isHoleUnit(unit) || !filter(unit.tagsCode)) continue;
    units.push(unit);
    indexes.push(index);
    if (units.length === wanted) {
      scannedCount = index + 1;
      break;
    }
  }
  return {
    units,
    scannedCount,
    consumedThrough: (consumed) =>
      consumed >= units.length
        ? scannedCount
        : consumed === 0
          ? 0
          : (indexes[consumed - 1] as number) + 1,
  };
}

function nextReadableOffset(offset: number, maxOffset: number): number {
  return Math.min(offset + 1, maxOffset);
}

interface Span {
  readonly units: ConsumeQueueUnit[];
  readonly start: number;
  readonly end: number;
  readonly bytes: number;
}

/** Groups units whose records lie close together (in order) so each group is one read. */
function* spans(units: readonly ConsumeQueueUnit[]): Generator<Span> {
  let current: ConsumeQueueUnit[] = [];
  let start = 0;
  let end = 0;
  let bytes = 0;
  for (const unit of units) {
    const hole = isHoleUnit(unit);
    const joins =
      current.length > 0 && !hole && unit.offset >= end && unit.offset - end <= MAX_SPAN_GAP_BYTES;
    if (current.length > 0 && !joins) {
      yield { units: current, start, end, bytes };
      current = [];
    }
    if (current.length === 0) {
      start = unit.offset;
      end = unit.offset;
      bytes = 0;
    }
    current.push(unit);
    if (!hole) {
      end = unit.offset + unit.size;
      bytes += unit.size;
    }
    if (hole) {
      yield { units: current, start, end, bytes };
      current = [];
    }
  }
  if (current.length > 0) yield { units: current, start, end, bytes };
}

/** The span's records as separate buffers (views of one read); null if the log no longer has them. */
async function readSpan(commitLog: CommitLog, span: Span): Promise<Buffer[] | null> {
  const fileSize = commitLog.mappedFileQueue.mappedFileSize;
  const sameFile = Math.floor(span.start / fileSize) === Math.floor((span.end - 1) / fileSize);
  if (!sameFile) {
    const records: Buffer[] = [];
    for (const unit of span.units) {
      const one = await commitLog.getMessage(unit.offset, unit.size);
      if (one === null) return records.length > 0 ? records : null;
      records.push(one.buffer);
      one.release();
    }
    return records;
  }
  const data = await commitLog.getMessage(span.start, span.end - span.start);
  if (data === null) return null;
  data.release();
  return span.units.map((unit) =>
    data.buffer.subarray(unit.offset - span.start, unit.offset - span.start + unit.size),
  );
}
