import { join } from "node:path";
import type { Clock, FileIO } from "@store/mapped-file";
import { ensureDirectory, ioError } from "@store/mapped-file";
import type { Logger } from "pino";
import {
  KEY_SEPARATOR,
  SYSFLAG_TRANSACTION_ROLLBACK_TYPE,
  transactionType,
} from "@store/message-codec";
import { IndexFile } from "./index-file.js";
import type { IndexEntry, IndexGeometry, IndexHeader } from "./index-format.js";
import {
  indexFileName,
  indexKeyHash,
  isIndexFileName,
  topicKeyPrefixHash,
} from "./index-format.js";

/**
 * What the dispatcher hands the message index: every dispatched record, in log order, then a commit
 * once per dispatch step. `add` only records; `commit` does the work and never rejects (a failed
 * index stops indexing and logs why; the next open rebuilds what it missed).
 */
export interface DispatchIndex {
  /** Hands the index one dispatched record: its offset and size (bytes), store time (ms), topic, flags and keys. */
  add(
    physicalOffset: number,
    size: number,
    storeTimestamp: number,
    topic: string,
    sysFlag: number,
    keys: string | undefined,
    uniqKey: string | undefined,
  ): void;
  /** Writes the entries added since the last commit; never rejects. */
  commit(): Promise<void>;
}

/** What the `IndexService` is built from: its directory, file geometry, I/O, clock and logger. */
export interface IndexServiceOptions {
  /** The `index` directory. */
  readonly storePath: string;
  readonly geometry: IndexGeometry;
  readonly io: FileIO;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Records `add` may hold before a commit: a dispatcher that never commits stops the index. */
export const MAX_PENDING_RECORDS = 262_144;
/** Full chunks of entries (80 KiB each) a file may hold unwritten before dispatch waits for them. */
export const MAX_UNWRITTEN_CHUNKS = 64;
/** Entries a query walks at most (hash collisions and a wide time range bound the work this way). */
export const QUERY_MAX_ENTRIES = 100_000;
/** An entry's time is its record's store time truncated to whole seconds after the file's begin. */
const ENTRY_TIME_SLACK_MS = 999;

/** Records added since the last commit, column by column (no object per record). */
class PendingRecords {
  length = 0;
  readonly offsets: number[] = [];
  readonly sizes: number[] = [];
  readonly timestamps: number[] = [];
  readonly topics: string[] = [];
  readonly sysFlags: number[] = [];
  readonly keys: (string | undefined)[] = [];
  readonly uniqKeys: (string | undefined)[] = [];

  clear(): void {
    this.length = 0;
    this.topics.length = this.keys.length = this.uniqKeys.length = 0;
  }
}

/** What the index's part of recovery did (`MessageStore.indexRecovery`). */
export interface IndexRecoveryReport {
  /** Index files found at open. */
  readonly filesLoaded: number;
  /** Files deleted at open: never flushed, unreadable, or holding only records past the log's end. */
  readonly filesDropped: number;
  /** Entries removed because their records lay past the recovered log's end. */
  readonly entriesTruncated: number;
  /** Where the durable index ended at open (commit-log offset; records below it were indexed). */
  readonly coveredEnd: number;
  /** Commit-log bytes read again to index what the durable index lacked (before dispatch resumed). */
  readonly caughtUpBytes: number;
}

/**
 * The message index (RocketMQ's IndexService): files under `<storePathRootDir>/index/`, named by
 * creation time, each a hash table of `<topic>#<key>` for every key of a record's KEYS property and
 * for its UNIQ_KEY (the client's unique message id), pointing at the record's commit-log offset.
 * Fed by the dispatcher; a new file is started when the last one is full. `flush()` makes it durable
 * (the store then writes the checkpoint's indexMsgTimestamp); recovery cuts it back to the
 * recovered log and indexes again from where the durable index ends (see store-recovery.ts).
 */
export class IndexService implements DispatchIndex {
  readonly #options: IndexServiceOptions;
  readonly #files: IndexFile[] = [];
  #pending = new PendingRecords();
  #spare = new PendingRecords();
  /** Records that start below this offset are indexed already. */
  #coveredEnd = 0;
  #commitChain: Promise<void> = Promise.resolve();
  #flushChain: Promise<unknown> = Promise.resolve();
  #state: "running" | "failed" | "stopped" = "running";
  #failure: Error | null = null;
  #directoryReady = false;

  constructor(options: IndexServiceOptions) {
    this.#options = options;
  }

  /** The files, oldest first. */
  get files(): readonly IndexFile[] {
    return this.#files;
  }

  /** Records that start below this commit-log offset are indexed. */
  get coveredEnd(): number {
    return this.#coveredEnd;
  }

  /** Why indexing stopped (a write failed), or null while it runs. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Store time and covered end of the newest file (RocketMQ's indexLastUpdateTimestamp / Phyoffset); 0 when none. */
  lastUpdate(): { timestamp: number; phyOffset: number } {
    const last = this.#files.at(-1);
    return { timestamp: last?.header.endTimestamp ?? 0, phyOffset: last?.header.endPhyOffset ?? 0 };
  }

  /**
   * Opens the index files, oldest first. Files whose header was never flushed are deleted; so is a
   * file whose header cannot be right (more entries than fit, covering less than the file before,
   * or entries that do not agree with it: another geometry), with every later one. Recovery then
   * indexes their records again from the log.
   * After a crash (`crashed`), the slots of a file that is not full are rebuilt from its entries
   * (written back for a file before the last; kept in memory for the last, which takes entries next).
   * @returns files loaded and dropped. @throws StoreError IO_ERROR.
   */
  async load(crashed: boolean): Promise<{ loaded: number; dropped: number }> {
    const { io, storePath, geometry, logger } = this.#options;
    let dropped = 0;
    const found: IndexFile[] = [];
    for (const name of (await io.readdir(storePath)).sort()) {
      if (!isIndexFileName(name)) {
        logger.warn(
          { entry: name },
          "skipping an entry of the index directory that is not an index file",
        );
        continue;
      }
      const file = await IndexFile.load(join(storePath, name), io, geometry, crashed);
      if (isBlank(file.header)) {
        // Never flushed (a crash came first; or its deletion was lost in a power cut): it claims nothing.
        await file.destroy();
        dropped++;
      } else found.push(file);
    }
    const kept = await this.#trustedPrefix(found);
    // Newest first, so a crash in between leaves a prefix of the files: later ones would claim
    // coverage of records whose entries were in the deleted ones.
    for (let i = found.length - 1; i >= kept; i--) {
      logger.warn(
        { file: (found[i] as IndexFile).name, header: (found[i] as IndexFile).header },
        "deleting an index file that does not fit the configured maxHashSlotNum / maxIndexNum (or is damaged), or follows one that does not",
      );
      await (found[i] as IndexFile).destroy();
      dropped++;
    }
    if (kept < found.length)
      await io
        .syncDirectory(storePath)
        .catch((error: unknown) => Promise.reject(ioError("sync", storePath, error)));
    this.#files.push(...found.slice(0, kept));
    if (crashed) {
      for (const file of this.#files.slice(0, -1))
        if (!file.isWriteFull()) await this.#repair(file);
      // Its slot region may hold pages of a flush that did not finish: queries must not read it.
      const last = this.#files.at(-1);
      if (last !== undefined && !last.isWriteFull()) await last.makeWritable();
    }
    this.#coveredEnd = this.#files.at(-1)?.header.endPhyOffset ?? 0;
    this.#directoryReady = this.#files.length > 0;
    return { loaded: this.#files.length, dropped };
  }

  /**
   * How many of `files` (oldest first) can be trusted: coverage only grows from file to file, so a
   * file that breaks that, or cannot fit the geometry, makes it and every later one untrustworthy.
   */
  async #trustedPrefix(files: readonly IndexFile[]): Promise<number> {
    for (let i = 0; i < files.length; i++) {
      const header = (files[i] as IndexFile).header;
      const before = i === 0 ? 0 : (files[i - 1] as IndexFile).header.endPhyOffset;
      if (
        header.indexCount > this.#options.geometry.indexNum ||
        header.endPhyOffset < before ||
        !(await (files[i] as IndexFile).entriesMatchHeader())
      )
        return i;
    }
    return files.length;
  }

  /** Rebuilds and writes the slots of a read-only file a crash left unfinished. */
  async #repair(file: IndexFile): Promise<void> {
    this.#options.logger.warn(
      { file: file.name, entries: file.header.indexCount - 1 },
      "rebuilding the slots of an index file a crash left unfinished",
    );
    await file.makeWritable();
    await file.flush();
    file.releaseSlots();
  }

  /**
   * Recovery: removes the entries of records at or past `logEnd` (the recovered log's end) and
   * lowers the covered end to it, durably, deleting files left with nothing below it.
   * @returns entries removed and files deleted. @throws StoreError IO_ERROR / DISK_FULL.
   */
  async truncateFrom(logEnd: number): Promise<{ entries: number; files: number }> {
    await this.#commitChain;
    await this.#flushChain;
    const covered = this.#coveredEnd;
    if (covered <= logEnd) return { entries: 0, files: 0 };
    let entries = 0;
    let files = 0;
    for (let i = this.#files.length - 1; i >= 0; i--) {
      const file = this.#files[i] as IndexFile;
      entries += await file.truncateFrom(logEnd);
      if (file.header.indexCount > 1 || i === 0) break;
      // Nothing of it below logEnd: its coverage (of records without keys) passes to the file before.
      await file.destroy();
      this.#files.splice(i, 1);
      files++;
    }
    const { io, storePath, logger } = this.#options;
    // A deleted file must not come back after a power cut: it would claim records written since.
    if (files > 0)
      await io
        .syncDirectory(storePath)
        .catch((error: unknown) => Promise.reject(ioError("sync", storePath, error)));
    const last = this.#files.at(-1);
    if (last !== undefined) {
      // Coverage is a prefix of the log: everything below min(covered, logEnd) was indexed.
      last.setCoveredEnd(Math.min(covered, logEnd));
      if (!last.isWriteFull()) await last.makeWritable();
      await last.flush();
    }
    this.#coveredEnd = last?.header.endPhyOffset ?? 0;
    logger.warn(
      { logEnd, coveredBefore: covered, entries, files },
      "message index cut back to the recovered commit log",
    );
    return { entries, files };
  }

  /** Records a dispatched record (see DispatchIndex); indexed at the next commit. */
  add(
    physicalOffset: number,
    size: number,
    storeTimestamp: number,
    topic: string,
    sysFlag: number,
    keys: string | undefined,
    uniqKey: string | undefined,
  ): void {
    if (this.#state !== "running") return;
    const pending = this.#pending;
    if (pending.length >= MAX_PENDING_RECORDS) {
      this.#fail(new Error(`more than ${MAX_PENDING_RECORDS} records added without a commit`));
      return;
    }
    const i = pending.length++;
    pending.offsets[i] = physicalOffset;
    pending.sizes[i] = size;
    pending.timestamps[i] = storeTimestamp;
    pending.topics[i] = topic;
    pending.sysFlags[i] = sysFlag;
    pending.keys[i] = keys;
    pending.uniqKeys[i] = uniqKey;
  }

  /** Indexes what was added (entries are written in 80 KiB chunks as they fill). Never rejects. */
  commit(): Promise<void> {
    const run = this.#commitChain.then(() => this.#commitNow());
    this.#commitChain = run;
    return run;
  }

  async #commitNow(): Promise<void> {
    const batch = this.#pending;
    this.#pending = this.#spare;
    this.#spare = batch;
    try {
      if (this.#state === "running") {
        for (let i = 0; i < batch.length; i++) {
          const offset = batch.offsets[i] as number;
          if (offset < this.#coveredEnd) continue;
          // Awaits only to start a file (or load the slots of the last): a put path of its own otherwise.
          let file = this.#writableNow() ?? (await this.#writableFile());
          for (
            let next = this.#indexKeys(file, batch, i, 0);
            next >= 0;
            next = this.#indexKeys(file, batch, i, next)
          )
            file = await this.#roll();
          const end = offset + (batch.sizes[i] as number);
          file.cover(end, batch.timestamps[i] as number);
          this.#coveredEnd = end;
        }
        await this.#writeFullChunks();
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      batch.clear();
    }
  }

  /**
   * Writes the last file's full chunks of entries in the background (a flush writes the rest), so
   * dispatch never waits for the disk here; it does once more than MAX_UNWRITTEN_CHUNKS wait.
   */
  async #writeFullChunks(): Promise<void> {
    const last = this.#files.at(-1);
    if (last === undefined || last.unwrittenChunks === 0) return;
    const writing = last.writeFullChunks();
    writing.catch((error: unknown) => this.#fail(error));
    if (last.unwrittenChunks > MAX_UNWRITTEN_CHUNKS) await writing;
  }

  /**
   * Puts the keys of record `i` of `batch` into `file` from key number `from` on (0 is its UNIQ_KEY,
   * then each key of KEYS in order; none for a rolled-back transaction). Returns the number of the
   * key that did not fit (the caller starts a file and goes on from there), or -1 when all did.
   */
  #indexKeys(file: IndexFile, batch: PendingRecords, i: number, from: number): number {
    if (transactionType(batch.sysFlags[i] as number) === SYSFLAG_TRANSACTION_ROLLBACK_TYPE)
      return -1;
    const offset = batch.offsets[i] as number;
    const timestamp = batch.timestamps[i] as number;
    const prefix = topicKeyPrefixHash(batch.topics[i] as string);
    let number = 0;
    const uniqKey = batch.uniqKeys[i];
    if (uniqKey !== undefined && uniqKey.length > 0) {
      if (number >= from && !file.putKey(indexKeyHash(prefix, uniqKey), offset, timestamp))
        return number;
      number++;
    }
    const keys = batch.keys[i];
    for (let start = 0; keys !== undefined && start < keys.length;) {
      let stop = keys.indexOf(KEY_SEPARATOR, start);
      if (stop < 0) stop = keys.length;
      if (stop > start) {
        if (
          number >= from &&
          !file.putKey(indexKeyHash(prefix, keys, start, stop), offset, timestamp)
        )
          return number;
        number++;
      }
      start = stop + 1;
    }
    return -1;
  }

  /** The last file when it takes entries now. */
  #writableNow(): IndexFile | undefined {
    const last = this.#files.at(-1);
    return last !== undefined && last.writable && !last.isWriteFull() ? last : undefined;
  }

  /** The last file made writable, or a new one when there is none or it is full. */
  async #writableFile(): Promise<IndexFile> {
    const last = this.#files.at(-1);
    if (last === undefined || last.isWriteFull()) return this.#roll();
    await last.makeWritable();
    return last;
  }

  /**
   * Starts a new file after the last (RocketMQ's getAndCreateLastIndexFile) and queues the final
   * flush of the full one, after which its slots leave memory.
   */
  async #roll(): Promise<IndexFile> {
    const { io, storePath, geometry } = this.#options;
    if (!this.#directoryReady) {
      await ensureDirectory(io, storePath).catch((error: unknown) =>
        Promise.reject(ioError("create", storePath, error)),
      );
      this.#directoryReady = true;
    }
    const previous = this.#files.at(-1) ?? null;
    const file = await IndexFile.create(
      join(storePath, this.#nextName(previous)),
      io,
      geometry,
      previous?.header ?? null,
    );
    this.#files.push(file);
    if (previous !== null) {
      this.#options.logger.info(
        { full: previous.name, next: file.name },
        "index file full: starting another",
      );
      void this.#enqueueFlush(async () => {
        await previous.flush();
        previous.releaseSlots();
      });
    }
    return file;
  }

  /** A name from the clock, after the previous file's (two files made in one millisecond stay ordered). */
  #nextName(previous: IndexFile | null): string {
    const name = indexFileName(this.#options.clock.now());
    if (previous === null || name > previous.name) return name;
    return String(BigInt(previous.name) + 1n).padStart(previous.name.length, "0");
  }

  /**
   * Makes every file durable (entries, slots, then headers; oldest first).
   * @returns the newest file's durable endTimestamp (the checkpoint's indexMsgTimestamp), or null
   *   when there is nothing durable or the flush failed (logged; indexing stops).
   */
  flush(): Promise<number | null> {
    return this.#enqueueFlush(async () => {
      const files = [...this.#files];
      for (const file of files) if (file.dirty) await file.flush();
      for (const file of files.slice(0, -1)) if (file.isWriteFull()) file.releaseSlots();
      const durable = files.at(-1)?.durableHeader;
      return durable !== undefined && durable.endTimestamp > 0 ? durable.endTimestamp : null;
    });
  }

  /** Runs `work` after the flushes before it; null when it fails (the index then stops). */
  #enqueueFlush<T>(work: () => Promise<T>): Promise<T | null> {
    const run = this.#flushChain.then(async () => {
      if (this.#state === "stopped") return null;
      try {
        return await work();
      } catch (error) {
        this.#fail(error);
        return null;
      }
    });
    this.#flushChain = run;
    return run;
  }

  /**
   * Deletes files whose every record lies below `minOffset` (RocketMQ's deleteExpiredFile after the
   * commit log's cleanup); never the last file. @returns how many.
   */
  async deleteExpiredFiles(minOffset: number): Promise<number> {
    const deleted = await this.#enqueueFlush(async () => {
      let count = 0;
      while (
        this.#files.length > 1 &&
        (this.#files[0] as IndexFile).header.endPhyOffset <= minOffset
      ) {
        const file = this.#files.shift() as IndexFile;
        await file.destroy();
        count++;
      }
      return count;
    });
    return deleted ?? 0;
  }

  /**
   * Commit-log offsets of records whose `<topic>#<key>` entry matches and whose entry time may lie in
   * [begin, end] (ms), newest first, each once: RocketMQ's queryOffset. Hash collisions are not
   * told apart here: the caller reads each record and checks its topic and keys.
   */
  async *candidates(
    topic: string,
    key: string,
    begin: number,
    end: number,
  ): AsyncGenerator<number> {
    const keyHash = indexKeyHash(topicKeyPrefixHash(topic), key);
    const files = [...this.#files];
    const seen = new Set<number>();
    const scratch = Buffer.allocUnsafe(20);
    const entry: IndexEntry = { keyHash: 0, phyOffset: 0, timeDiff: 0, prevIndex: 0 };
    let budget = QUERY_MAX_ENTRIES;
    for (let i = files.length - 1; i >= 0 && budget > 0; i--) {
      const file = files[i] as IndexFile;
      const header = file.header;
      if (
        header.indexCount > 1 &&
        begin <= header.endTimestamp &&
        end >= header.beginTimestamp &&
        file.hold()
      ) {
        try {
          let next = await file.readSlot(keyHash % file.geometry.hashSlotNum, scratch);
          while (next > 0 && next < header.indexCount && budget-- > 0) {
            if ((await file.readEntryAt(next, scratch, entry)) === null || entry.timeDiff < 0)
              break;
            const time = header.beginTimestamp + entry.timeDiff * 1000;
            if (
              entry.keyHash === keyHash &&
              time + ENTRY_TIME_SLACK_MS >= begin &&
              time <= end &&
              !seen.has(entry.phyOffset)
            ) {
              seen.add(entry.phyOffset);
              yield entry.phyOffset;
            }
            if (time + ENTRY_TIME_SLACK_MS < begin || entry.prevIndex >= next) break;
            next = entry.prevIndex;
          }
        } finally {
          file.release();
        }
      }
      if (header.beginTimestamp < begin) break;
    }
  }

  #fail(error: unknown): void {
    if (this.#state !== "running") return;
    this.#state = "failed";
    this.#failure = error instanceof Error ? error : new Error(String(error));
    this.#pending.clear();
    this.#options.logger.error(
      { err: error, coveredEnd: this.#coveredEnd },
      "message index stopped: records from here on are not indexed until the store is reopened",
    );
  }

  /** Waits for commits and flushes in progress, then closes the files (flush first to keep what is buffered). */
  async shutdown(): Promise<void> {
    await this.#commitChain;
    await this.#flushChain;
    this.#state = "stopped";
    for (const file of this.#files) await file.close();
  }

  /** Stops at once without writing anything more (a crash test's kill -9). */
  halt(): void {
    this.#state = "stopped";
    this.#pending.clear();
  }
}

/** A file whose header was never flushed: it claims nothing. */
function isBlank(header: IndexHeader): boolean {
  return header.indexCount <= 1 && header.endPhyOffset === 0 && header.endTimestamp === 0;
}
