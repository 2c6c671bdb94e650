import { join } from "node:path";
import { MappedFileQueue } from "@store/file-queue";
import type { FileIO, MappedFile } from "@store/mapped-file";
import { StoreError } from "@store/mapped-file";
import { readInt64BE, writeInt32BE, writeInt64BE } from "@store/message-codec";

/** Bytes per consume-queue unit: commit-log offset (8), record size (4), tags hash code (8). */
export const CQ_STORE_UNIT_SIZE = 20;
/** Size field of a filler unit standing for a missing position. */
const HOLE_SIZE = 0x7fffffff;
/** RocketMQ's default consume-queue file size: 300 000 units. */
export const DEFAULT_CONSUME_QUEUE_FILE_SIZE = 300_000 * CQ_STORE_UNIT_SIZE;

/** One consume-queue unit. */
export interface ConsumeQueueUnit {
  /** Commit-log offset of the record, bytes. */
  readonly offset: number;
  /** Record length, bytes. */
  readonly size: number;
  /** Hash of the TAGS property (Java String.hashCode), 0 when none. */
  readonly tagsCode: number;
}

/** A unit and the queue offset it belongs at. */
export interface PositionEntry extends ConsumeQueueUnit {
  readonly cqOffset: number;
}

/** What a `ConsumeQueue` is built from: its topic, queue id, directory and file size. */
export interface ConsumeQueueOptions {
  /** The `consumequeue` directory; this queue lives in `<root>/<topic>/<queueId>`. */
  readonly rootDir: string;
  readonly topic: string;
  readonly queueId: number;
  /** File size, bytes; rounded up to a multiple of 20. Default 6 000 000. */
  readonly mappedFileSize?: number;
  readonly io?: FileIO;
  /**
   * Told when a unit arrives for a queue offset past the queue's end (`expected` > `end`, both
   * queue offsets): the units in between were never written, or were lost. The gap is filled with
   * hole units either way; recovery treats it as lost units (see DispatchPlan).
   */
  readonly onGap?: (queue: ConsumeQueue, expected: number, end: number) => void;
}

/**
 * Whether `unit` at queue offset `index` of `queue` describes its record (recovery reads the record
 * from the commit log); true also when it cannot be told (the record was deleted with its file).
 */
export type UnitCheck = (
  queue: ConsumeQueue,
  unit: ConsumeQueueUnit,
  index: number,
) => Promise<boolean>;

/** What a recovery scan of one queue found (see ConsumeQueue.scanForRecovery). */
export interface QueueRecoveryScan {
  /** Where the units recovery keeps end, bytes from the queue's start (a multiple of 20). */
  readonly end: number;
  /** End (offset + size) of the last kept unit's record in the commit log; -1 when none. */
  readonly lastRecordEnd: number;
  /** Kept-looking units at the end that did not match their records: cut, and a sign of damage. */
  readonly mismatched: number;
}

function readUnit(buffer: Buffer, at: number): ConsumeQueueUnit {
  return {
    offset: readInt64BE(buffer, at),
    size: buffer.readInt32BE(at + 8),
    tagsCode: readInt64BE(buffer, at + 12),
  };
}

/** The commit-log offset of the unit at byte `at`, without allocating (offsets stay below 2^53). */
function unitOffsetAt(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at) * 0x1_0000_0000 + buffer.readUInt32BE(at + 4);
}

function unitSizeAt(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at + 8);
}

/** Offsets and tagsCodes are safe integers (tagsCodes may be negative): no BigInt per unit. */
function writeUnit(buffer: Buffer, at: number, unit: ConsumeQueueUnit): void {
  writeInt64BE(buffer, at, unit.offset);
  writeInt32BE(buffer, at + 8, unit.size);
  writeInt64BE(buffer, at + 12, unit.tagsCode);
}

/** Whether a unit is a filler for a missing position (never a message). */
export function isHoleUnit(unit: ConsumeQueueUnit): boolean {
  return unit.size === HOLE_SIZE;
}

/**
 * The index of one topic queue (RocketMQ's ConsumeQueue): unit N, at byte N*20, locates the queue's
 * N-th message in the commit log. Units are written by the dispatcher, in commit-log order.
 */
export class ConsumeQueue {
  readonly topic: string;
  readonly queueId: number;
  readonly mappedFileQueue: MappedFileQueue;
  #maxPhysicOffset = -1;
  #minLogicOffset = 0;
  readonly #onGap: ConsumeQueueOptions["onGap"];

  constructor(options: ConsumeQueueOptions) {
    const size = options.mappedFileSize ?? DEFAULT_CONSUME_QUEUE_FILE_SIZE;
    const fileSize = Math.ceil(size / CQ_STORE_UNIT_SIZE) * CQ_STORE_UNIT_SIZE;
    this.topic = options.topic;
    this.queueId = options.queueId;
    const storePath = join(options.rootDir, options.topic, String(options.queueId));
    this.mappedFileQueue = new MappedFileQueue({
      storePath,
      mappedFileSize: fileSize,
      io: options.io,
      preallocation: "sparse",
    });
    this.#onGap = options.onGap;
  }

  /** Opens the queue's files. @throws FileQueueError from load(). */
  async load(): Promise<void> {
    await this.mappedFileQueue.load();
  }

  /** End (offset + size) of the last indexed record, bytes; -1 when none. */
  get maxPhysicOffset(): number {
    return this.#maxPhysicOffset;
  }

  /**
   * Recovery after load: scans for the units to keep and cuts the queue after them, durably (see
   * scanForRecovery and cutAt). Default: keeps every sound unit.
   * @returns what the scan found.
   */
  async recover(
    keepUnitsBelow = Number.POSITIVE_INFINITY,
    check?: UnitCheck,
  ): Promise<QueueRecoveryScan> {
    const scan = await this.scanForRecovery(keepUnitsBelow, check);
    await this.cutAt(scan.end, scan.lastRecordEnd);
    return scan;
  }

  /**
   * Finds, without changing anything, where the units recovery may keep end: units that are sound
   * (size > 0, offsets in log order) and whose record lies below commit-log offset `keepUnitsBelow`,
   * from the start of the queue up to the first that is not. It reads each file's first unit from
   * the last file back to the newest file that starts with such a unit, and scans from there: every
   * earlier file is covered by the same promise (units of records below the point are durable), so a
   * queue any number of files behind its flush is scanned whole where it matters. With `check`, the
   * last kept units are then read back against their records, from the end back to the first that
   * matches; the ones that do not are counted as `mismatched` and not kept. At least the last
   * three files are scanned whole, as RocketMQ does.
   */
  async scanForRecovery(keepUnitsBelow: number, check?: UnitCheck): Promise<QueueRecoveryScan> {
    const files = this.mappedFileQueue.mappedFiles;
    if (files.length === 0) return { end: 0, lastRecordEnd: -1, mismatched: 0 };
    let end = await scanKeepable(files, await firstScanFile(files, keepUnitsBelow), keepUnitsBelow);
    const start = (files[0] as MappedFile).fileFromOffset;
    let mismatched = 0;
    for (; check !== undefined && end > start; end -= CQ_STORE_UNIT_SIZE, mismatched++) {
      const unit = await this.#unitAtByte(end - CQ_STORE_UNIT_SIZE);
      if (
        unit === null ||
        isHoleUnit(unit) ||
        (await check(this, unit, (end - CQ_STORE_UNIT_SIZE) / CQ_STORE_UNIT_SIZE))
      )
        break;
    }
    const last = end > start ? await this.#unitAtByte(end - CQ_STORE_UNIT_SIZE) : null;
    return {
      end,
      lastRecordEnd: last === null || isHoleUnit(last) ? -1 : last.offset + last.size,
      mismatched,
    };
  }

  /**
   * Cuts the queue at byte `end` so that the cut survives a power cut before new units are written
   * there: files after it are deleted (each unlink synced), the rest of its file is zeroed and
   * fdatasync'd (only what is not zero already), and the positions move to `end`.
   * @param lastRecordEnd - commit-log end of the last unit kept (-1: none): what dispatch skips.
   * @returns bytes zeroed.
   * @throws StoreError IO_ERROR / DISK_FULL.
   */
  async cutAt(end: number, lastRecordEnd: number): Promise<number> {
    const queue = this.mappedFileQueue;
    await queue.truncateDirtyFiles(end);
    const tail = queue.findMappedFileByOffset(end);
    const cleared = tail === null ? 0 : await tail.clearStaleTail();
    queue.flushedWhere = end;
    queue.committedWhere = end;
    this.#maxPhysicOffset = lastRecordEnd;
    this.#minLogicOffset = Math.max(queue.getMinOffset(), 0);
    return cleared;
  }

  /** The unit starting at byte `at` of the queue, or null when it is not readable. */
  async #unitAtByte(at: number): Promise<ConsumeQueueUnit | null> {
    const file = this.mappedFileQueue.findMappedFileByOffset(at);
    if (file === null) return null;
    const result = await file.selectMappedBuffer(at - file.fileFromOffset, CQ_STORE_UNIT_SIZE);
    if (result === null) return null;
    try {
      return readUnit(result.buffer, 0);
    } finally {
      result.release();
    }
  }

  /**
   * Appends the unit for queue offset `cqOffset`. Units at or below the indexed end are duplicates
   * (a re-dispatch after recovery) and are skipped. A gap (positions never dispatched, e.g. files
   * removed) is filled with hole units so each unit stays at its index.
   * @returns false if the file could not be created or written (the dispatcher retries).
   */
  async putMessagePositionInfo(unit: ConsumeQueueUnit, cqOffset: number): Promise<boolean> {
    if (unit.offset + unit.size <= this.#maxPhysicOffset) return true;
    const expected = cqOffset * CQ_STORE_UNIT_SIZE;
    const queue = this.mappedFileQueue;
    const end = queue.getMaxWrotePosition();
    if (expected > end) this.#onGap?.(this, cqOffset, end / CQ_STORE_UNIT_SIZE);
    const file = await queue.getLastMappedFile(expected);
    if (file === null) return false;
    if (file.firstCreateInQueue && file.wrotePosition === 0 && expected > file.fileFromOffset) {
      // A queue whose first unit is not unit 0 (older messages are gone): start it at the right index.
      this.#minLogicOffset = expected;
      this.#fillHoles(file, expected - file.fileFromOffset);
      queue.flushedWhere = queue.committedWhere = file.fileFromOffset;
    }
    const current = file.fileFromOffset + file.wrotePosition;
    if (expected < current) return true; // already indexed
    if (expected > current && !(await this.#fillGap(expected))) return false;
    const target = await queue.getLastMappedFile(expected);
    if (target === null) return false;
    const bytes = Buffer.allocUnsafe(CQ_STORE_UNIT_SIZE);
    writeUnit(bytes, 0, unit);
    if (!target.appendMessage(bytes)) return false;
    this.#maxPhysicOffset = unit.offset + unit.size;
    return true;
  }

  /**
   * Appends units for consecutive dispatches of this queue, in order: runs of consecutive queue
   * offsets that fit the current file go out in one write; anything else (a new file, a gap, a
   * duplicate) takes the single-unit path. Returns how many entries, from the start, are indexed;
   * fewer than `entries.length` means the rest must be retried.
   */
  async putMessagePositionInfos(entries: readonly PositionEntry[]): Promise<number> {
    let index = 0;
    while (index < entries.length) {
      // Units already indexed (a re-dispatch after a crash) are skipped here, not one await each.
      const entry = entries[index] as PositionEntry;
      if (entry.offset + entry.size <= this.#maxPhysicOffset) {
        index++;
        continue;
      }
      const run = this.#appendRun(entries, index);
      if (run > 0) {
        index += run;
        continue;
      }
      if (!(await this.putMessagePositionInfo(entry, entry.cqOffset))) return index;
      index++;
    }
    return index;
  }

  /** Writes the run of entries starting at `from` that extends the last file exactly; returns its length. */
  #appendRun(entries: readonly PositionEntry[], from: number): number {
    const file = this.mappedFileQueue.getLastMappedFile();
    const first = entries[from] as PositionEntry;
    if (file === null || file.isFull() || first.offset + first.size <= this.#maxPhysicOffset)
      return 0;
    if (first.cqOffset * CQ_STORE_UNIT_SIZE !== file.fileFromOffset + file.wrotePosition) return 0;
    const room = (file.fileSize - file.wrotePosition) / CQ_STORE_UNIT_SIZE;
    let end = from + 1;
    while (end < entries.length && end - from < room) {
      const previous = entries[end - 1] as PositionEntry;
      const next = entries[end] as PositionEntry;
      if (next.cqOffset !== previous.cqOffset + 1 || next.offset < previous.offset + previous.size)
        break;
      end++;
    }
    const bytes = Buffer.allocUnsafe((end - from) * CQ_STORE_UNIT_SIZE);
    for (let i = from; i < end; i++)
      writeUnit(bytes, (i - from) * CQ_STORE_UNIT_SIZE, entries[i] as PositionEntry);
    if (!file.appendMessage(bytes)) return 0;
    const last = entries[end - 1] as PositionEntry;
    this.#maxPhysicOffset = last.offset + last.size;
    return end - from;
  }

  async #fillGap(expected: number): Promise<boolean> {
    const queue = this.mappedFileQueue;
    for (;;) {
      const file = await queue.getLastMappedFile(expected);
      if (file === null) return false;
      const current = file.fileFromOffset + file.wrotePosition;
      if (current >= expected) return true;
      const end = Math.min(expected, file.fileFromOffset + file.fileSize);
      this.#fillHoles(file, end - file.fileFromOffset);
    }
  }

  /** Writes hole units from the file's write position up to `untilPosition`. */
  #fillHoles(file: MappedFile, untilPosition: number): void {
    const count = (untilPosition - file.wrotePosition) / CQ_STORE_UNIT_SIZE;
    if (count <= 0) return;
    const bytes = Buffer.alloc(count * CQ_STORE_UNIT_SIZE);
    for (let i = 0; i < count; i++)
      writeUnit(bytes, i * CQ_STORE_UNIT_SIZE, { offset: 0, size: HOLE_SIZE, tagsCode: 0 });
    if (!file.appendMessage(bytes))
      throw new StoreError("IO_ERROR", `cannot fill ${count} holes in ${file.fileName}`);
  }

  /** Up to `maxCount` units from queue offset `startIndex` within one file; [] past the end. */
  async getUnits(startIndex: number, maxCount: number): Promise<ConsumeQueueUnit[]> {
    const offset = startIndex * CQ_STORE_UNIT_SIZE;
    if (startIndex < this.getMinOffsetInQueue() || maxCount <= 0) return [];
    const file = this.mappedFileQueue.findMappedFileByOffset(offset);
    if (file === null) return [];
    const position = offset - file.fileFromOffset;
    const length = Math.min(file.readPosition - position, maxCount * CQ_STORE_UNIT_SIZE);
    if (length < CQ_STORE_UNIT_SIZE) return [];
    const result = await file.selectMappedBuffer(position, length - (length % CQ_STORE_UNIT_SIZE));
    if (result === null) return [];
    try {
      const units: ConsumeQueueUnit[] = [];
      for (let at = 0; at < result.size; at += CQ_STORE_UNIT_SIZE)
        units.push(readUnit(result.buffer, at));
      return units;
    } finally {
      result.release();
    }
  }

  /** The unit at queue offset `index`, or null. */
  async getUnit(index: number): Promise<ConsumeQueueUnit | null> {
    return (await this.getUnits(index, 1))[0] ?? null;
  }

  /** First queue offset still indexed. */
  getMinOffsetInQueue(): number {
    return Math.floor(this.#minLogicOffset / CQ_STORE_UNIT_SIZE);
  }

  /** One past the last indexed queue offset. */
  getMaxOffsetInQueue(): number {
    return Math.floor(this.mappedFileQueue.getMaxOffset() / CQ_STORE_UNIT_SIZE);
  }

  /**
   * Removes units pointing at or past commit-log offset `phyOffset` (the log was cut there), durably
   * (see cutAt).
   */
  async truncateDirtyLogicFiles(phyOffset: number): Promise<void> {
    const files = this.mappedFileQueue.mappedFiles;
    if (files.length === 0) return;
    const end = await scanKeepable(files, await firstScanFile(files, phyOffset), phyOffset);
    const last =
      end > (files[0] as MappedFile).fileFromOffset
        ? await this.#unitAtByte(end - CQ_STORE_UNIT_SIZE)
        : null;
    await this.cutAt(end, last === null || isHoleUnit(last) ? -1 : last.offset + last.size);
  }

  /**
   * Moves the minimum queue offset to the first unit whose record is still in the commit log
   * (at or after `phyMinOffset`), after commit-log files were deleted.
   */
  async correctMinOffset(phyMinOffset: number): Promise<void> {
    const file = this.mappedFileQueue.getFirstMappedFile();
    if (file === null) return;
    const units = await readFileUnits(file);
    let at = Math.max(0, this.#minLogicOffset - file.fileFromOffset);
    for (; at + CQ_STORE_UNIT_SIZE <= units.length; at += CQ_STORE_UNIT_SIZE) {
      const size = unitSizeAt(units, at);
      if (size === 0) break;
      if (size !== HOLE_SIZE && unitOffsetAt(units, at) >= phyMinOffset) break;
    }
    this.#minLogicOffset = file.fileFromOffset + at;
  }

  /** Sets the minimum logical offset, bytes (tests, and restore after load). */
  setMinLogicOffset(offset: number): void {
    this.#minLogicOffset = offset;
  }

  get minLogicOffset(): number {
    return this.#minLogicOffset;
  }

  /** Deletes index files whose units all point below commit-log offset `phyMinOffset`. */
  async deleteExpiredFile(phyMinOffset: number): Promise<number> {
    const count = await this.mappedFileQueue.deleteExpiredFileByOffset(
      phyMinOffset,
      CQ_STORE_UNIT_SIZE,
    );
    await this.correctMinOffset(phyMinOffset);
    return count;
  }

  /** fdatasyncs index files (see MappedFileQueue.flush); true if it advanced. */
  flush(leastPages: number): Promise<boolean> {
    return this.mappedFileQueue.flush(leastPages);
  }

  /** Closes the queue's files, keeping them on disk. */
  shutdown(): Promise<void> {
    return this.mappedFileQueue.shutdown(0);
  }

  /** Closes and deletes the queue's files. */
  destroy(): Promise<void> {
    this.#maxPhysicOffset = -1;
    this.#minLogicOffset = 0;
    return this.mappedFileQueue.destroy();
  }
}

/** The readable bytes of an index file (empty when none). */
async function readFileUnits(file: MappedFile): Promise<Buffer> {
  const result = await file.selectMappedBuffer(0);
  if (result === null) return Buffer.alloc(0);
  result.release();
  return result.buffer;
}

/** Whether recovery may keep `unit` (before checking it against its record): see scanForRecovery. */
function keepable(
  offset: number,
  size: number,
  keepUnitsBelow: number,
  previousEnd: number,
): boolean {
  if (size === HOLE_SIZE) return true; // a filler for a queue offset no record took
  return size > 0 && offset >= 0 && offset >= previousEnd && offset + size <= keepUnitsBelow;
}

/**
 * Where a recovery scan starts: the last file, looking back, that starts with a keepable unit (0 when
 * none does), and at least the third-last file as RocketMQ (damage in the newest files shows there).
 */
async function firstScanFile(
  files: readonly MappedFile[],
  keepUnitsBelow: number,
): Promise<number> {
  const thirdLast = Math.max(0, files.length - 3);
  for (let index = files.length - 1; index > 0; index--) {
    const head = await (files[index] as MappedFile).selectMappedBuffer(0, CQ_STORE_UNIT_SIZE);
    if (head === null) continue;
    try {
      if (keepable(unitOffsetAt(head.buffer, 0), unitSizeAt(head.buffer, 0), keepUnitsBelow, -1))
        return Math.min(index, thirdLast);
    } finally {
      head.release();
    }
  }
  return 0;
}

/** Scans units from file `from` on; returns the byte (queue offset * 20) where the keepable ones end. */
async function scanKeepable(
  files: readonly MappedFile[],
  from: number,
  keepUnitsBelow: number,
): Promise<number> {
  let previousEnd = -1;
  for (let index = from; index < files.length; index++) {
    const file = files[index] as MappedFile;
    const units = await readFileUnits(file);
    let at = 0;
    for (; at + CQ_STORE_UNIT_SIZE <= units.length; at += CQ_STORE_UNIT_SIZE) {
      const offset = unitOffsetAt(units, at);
      const size = unitSizeAt(units, at);
      if (!keepable(offset, size, keepUnitsBelow, previousEnd)) break;
      if (size !== HOLE_SIZE) previousEnd = offset + size;
    }
    if (at < file.fileSize) return file.fileFromOffset + at;
  }
  const last = files.at(-1) as MappedFile;
  return last.fileFromOffset + last.fileSize;
}
