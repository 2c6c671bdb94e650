import { basename, dirname } from "node:path";
import type { FileIO } from "@store/mapped-file";
import { ioError } from "@store/mapped-file";
import type { IndexEntry, IndexGeometry, IndexHeader } from "./index-format.js";
import {
  HASH_SLOT_SIZE,
  INDEX_ENTRY_SIZE,
  INDEX_HEADER_SIZE,
  INVALID_INDEX,
  decodeHeader,
  emptyHeader,
  encodeHeader,
  entryPosition,
  readEntry,
  slotPosition,
  timeDiffSeconds,
  writeEntry,
} from "./index-format.js";

/** Entries buffered per chunk before they are written (80 KiB). */
const ENTRIES_PER_CHUNK = 4096;
/** Slots per 4 KiB page: the unit in which changed slots are written. */
const SLOTS_PER_PAGE = 4096 / HASH_SLOT_SIZE;
/** Entries read per pread when rebuilding the slots or truncating (about 1 MiB). */
const ENTRIES_PER_READ = 52_428;

/** Entries not yet written to the file: [start, start + count). */
interface EntryChunk {
  readonly start: number;
  readonly buffer: Buffer;
  count: number;
}

/** Where a file's slots come from when it is made writable. */
type SlotSource = "region" | "rebuild";

/**
 * One index file (RocketMQ's IndexFile; layout in index-format.ts), without mmap: the header lives in
 * memory and is written when flushed; a writable file keeps its slots in memory (4 × hashSlotNum
 * bytes) and writes the 4 KiB pages that changed at each flush; entries are buffered a chunk at a
 * time and written in order. A flush makes the entries and slots durable (fdatasync) before it
 * writes the header that counts them, so a header on disk never counts an entry that is not.
 *
 * The file is not pre-sized: it grows as entries are written (the slot region stays a hole until
 * its pages are written).
 */
export class IndexFile {
  readonly path: string;
  /** The basename: creation time as yyyyMMddHHmmssSSS. */
  readonly name: string;
  readonly geometry: IndexGeometry;
  /** The header as it is now (entries buffered included). */
  readonly header: IndexHeader;
  #durable: IndexHeader;
  readonly #io: FileIO;
  #fd: number | null;
  /** The slots (big-endian, as on disk) while the file takes entries or waits for its final flush. */
  #slots: Buffer | null = null;
  #dirtyPages: Uint8Array | null = null;
  /** Whether the slot region on disk matches the durable header (false after a crash). */
  #regionTrusted: boolean;
  /** Entries below this number are in the file. */
  #written: number;
  #unsynced = false;
  readonly #chunks: EntryChunk[] = [];
  #filling: EntryChunk | null = null;
  #writeChain: Promise<void> = Promise.resolve();
  #readers = 0;
  #retiring = false;
  #idle: (() => void) | null = null;

  private constructor(
    path: string,
    io: FileIO,
    fd: number,
    geometry: IndexGeometry,
    header: IndexHeader,
    durable: IndexHeader,
    regionTrusted: boolean,
  ) {
    this.path = path;
    this.name = basename(path);
    this.#io = io;
    this.#fd = fd;
    this.geometry = geometry;
    this.header = header;
    this.#durable = durable;
    this.#regionTrusted = regionTrusted;
    this.#written = durable.indexCount;
  }

  /**
   * Creates an empty file, its name durable in its directory. Its header starts where `previous`
   * (the file before it) ends, as RocketMQ's does, but only in memory: on disk it stays zero (claims
   * nothing) until its first flush, which follows the previous file's final one.
   * @throws StoreError IO_ERROR / DISK_FULL.
   */
  static async create(
    path: string,
    io: FileIO,
    geometry: IndexGeometry,
    previous: IndexHeader | null,
  ): Promise<IndexFile> {
    let fd: number;
    try {
      fd = await io.open(path, true);
      await io.syncDirectory(dirname(path));
    } catch (error) {
      throw ioError("create index file", path, error);
    }
    const header = emptyHeader();
    if (previous !== null) {
      header.beginPhyOffset = header.endPhyOffset = previous.endPhyOffset;
      header.beginTimestamp = header.endTimestamp = previous.endTimestamp;
    }
    const file = new IndexFile(path, io, fd, geometry, header, emptyHeader(), true);
    file.#slots = Buffer.alloc(geometry.hashSlotNum * HASH_SLOT_SIZE);
    file.#dirtyPages = new Uint8Array(Math.ceil(geometry.hashSlotNum / SLOTS_PER_PAGE));
    return file;
  }

  /**
   * Opens an existing file and reads its header. After a crash (`crashed`) its slot region is trusted
   * only when the header says the file is full (its final flush wrote the region before the header).
   * @throws StoreError IO_ERROR.
   */
  static async load(
    path: string,
    io: FileIO,
    geometry: IndexGeometry,
    crashed: boolean,
  ): Promise<IndexFile> {
    try {
      const fd = await io.open(path, false);
      const bytes = Buffer.alloc(INDEX_HEADER_SIZE);
      const read = await io.pread(fd, bytes, 0, INDEX_HEADER_SIZE, 0);
      const header = decodeHeader(bytes.subarray(0, read));
      // After a kill -9 the header read may be in the page cache only: make it (and what it counts)
      // durable before anything is built on it, or a power cut now could take it back.
      if (crashed) await io.fdatasync(fd);
      const full = header.indexCount >= geometry.indexNum;
      return new IndexFile(path, io, fd, geometry, header, { ...header }, !crashed || full);
    } catch (error) {
      throw ioError("load index file", path, error);
    }
  }

  /**
   * Whether the first and last entries agree with the header (the first at beginPhyOffset, the last
   * at or after it, chained backwards): false when the file was written with another geometry, or
   * is damaged. (The last entry may lie past the covered end: a record whose keys filled the file
   * is covered by the next one.)
   */
  async entriesMatchHeader(): Promise<boolean> {
    const count = this.header.indexCount;
    if (count <= 1) return true;
    const scratch = Buffer.alloc(INDEX_ENTRY_SIZE);
    const first = await this.readEntryAt(1, scratch, {
      keyHash: 0,
      phyOffset: 0,
      timeDiff: 0,
      prevIndex: 0,
    });
    if (first === null || first.keyHash < 0 || first.phyOffset !== this.header.beginPhyOffset)
      return false;
    const last = await this.readEntryAt(count - 1, scratch, {
      keyHash: 0,
      phyOffset: 0,
      timeDiff: 0,
      prevIndex: 0,
    });
    return (
      last !== null &&
      last.keyHash >= 0 &&
      last.phyOffset >= first.phyOffset &&
      last.prevIndex < count - 1
    );
  }

  /** Whether the header says no more entries fit. */
  isWriteFull(): boolean {
    return this.header.indexCount >= this.geometry.indexNum;
  }

  /** Whether the slots are in memory (entries can be added). */
  get writable(): boolean {
    return this.#slots !== null;
  }

  /** Whether anything is not durable yet (buffered entries, slots, or a newer header). */
  get dirty(): boolean {
    return (
      this.#chunks.length > 0 ||
      this.#unsynced ||
      (this.#dirtyPages?.some((page) => page !== 0) ?? false) ||
      !sameHeader(this.header, this.#durable)
    );
  }

  /** The header as the last flush wrote it. */
  get durableHeader(): Readonly<IndexHeader> {
    return this.#durable;
  }

  /**
   * Adds an entry for `keyHash` (RocketMQ's putKey); false when the file is full. The first entry
   * sets the begin fields before its time is taken (RocketMQ takes it from the previous file's end).
   */
  putKey(keyHash: number, phyOffset: number, storeTimestamp: number): boolean {
    const header = this.header;
    if (header.indexCount >= this.geometry.indexNum) return false;
    const slots = this.#slots;
    if (slots === null) throw new Error(`index file ${this.name} is not writable`);
    const slot = keyHash % this.geometry.hashSlotNum;
    let prevIndex = slots.readInt32BE(slot * HASH_SLOT_SIZE);
    if (prevIndex <= INVALID_INDEX || prevIndex > header.indexCount) prevIndex = INVALID_INDEX;
    if (header.indexCount <= 1) {
      header.beginPhyOffset = phyOffset;
      header.beginTimestamp = storeTimestamp;
    }
    const chunk = this.#fillingChunk();
    writeEntry(
      chunk.buffer,
      chunk.count * INDEX_ENTRY_SIZE,
      keyHash,
      phyOffset,
      timeDiffSeconds(header.beginTimestamp, storeTimestamp),
      prevIndex,
    );
    chunk.count++;
    slots.writeInt32BE(header.indexCount, slot * HASH_SLOT_SIZE);
    (this.#dirtyPages as Uint8Array)[Math.floor(slot / SLOTS_PER_PAGE)] = 1;
    if (prevIndex === INVALID_INDEX) header.hashSlotCount++;
    header.indexCount++;
    if (storeTimestamp > header.endTimestamp) header.endTimestamp = storeTimestamp;
    return true;
  }

  /** Records that the index covers the log up to `end` (a record's end), stored at `storeTimestamp`. */
  cover(end: number, storeTimestamp: number): void {
    if (end > this.header.endPhyOffset) this.header.endPhyOffset = end;
    if (storeTimestamp > this.header.endTimestamp) this.header.endTimestamp = storeTimestamp;
  }

  #fillingChunk(): EntryChunk {
    let chunk = this.#filling;
    if (chunk === null || chunk.count === ENTRIES_PER_CHUNK) {
      chunk = {
        start: this.header.indexCount,
        buffer: Buffer.allocUnsafe(ENTRIES_PER_CHUNK * INDEX_ENTRY_SIZE),
        count: 0,
      };
      this.#chunks.push(chunk);
      this.#filling = chunk;
    }
    return chunk;
  }

  /** Writes the buffered entries (to the page cache). Calls run in order. @throws StoreError IO_ERROR / DISK_FULL. */
  writePending(): Promise<void> {
    return this.#queueWrite(true);
  }

  /**
   * Starts writing the chunks that are full (in order, after writes in progress); the one being
   * filled stays in memory. Queries read buffered entries from memory meanwhile.
   * @throws StoreError IO_ERROR / DISK_FULL (from the returned promise).
   */
  writeFullChunks(): Promise<void> {
    return this.#queueWrite(false);
  }

  /** Full chunks not written yet (the dispatcher waits for them past a bound). */
  get unwrittenChunks(): number {
    return this.#chunks.length - (this.#filling === null ? 0 : 1);
  }

  #queueWrite(all: boolean): Promise<void> {
    const run = this.#writeChain.then(() => this.#writeChunks(all));
    this.#writeChain = run.catch(() => undefined);
    return run;
  }

  async #writeChunks(all: boolean): Promise<void> {
    while (this.#chunks.length > 0) {
      const chunk = this.#chunks[0] as EntryChunk;
      if (chunk === this.#filling) {
        if (!all) return;
        this.#filling = null; // sealed: new entries start another chunk
      }
      if (chunk.count > 0) {
        const position = entryPosition(this.geometry, chunk.start);
        try {
          await this.#io.pwrite(
            this.#requireFd(),
            chunk.buffer,
            0,
            chunk.count * INDEX_ENTRY_SIZE,
            position,
          );
        } catch (error) {
          throw ioError("write index entries", this.path, error);
        }
        this.#written = chunk.start + chunk.count;
        this.#unsynced = true;
      }
      this.#chunks.shift();
    }
  }

  /**
   * Makes the file durable as it is now: buffered entries and changed slot pages written and
   * fdatasync'd, then the header (as it was when the call began) written and fdatasync'd.
   * @returns the header now durable. @throws StoreError IO_ERROR / DISK_FULL.
   */
  async flush(): Promise<Readonly<IndexHeader>> {
    const snapshot = { ...this.header };
    const runs = this.#takeDirtyRuns();
    await this.writePending();
    const fd = this.#requireFd();
    try {
      for (const run of runs)
        await this.#io.pwrite(fd, run.bytes, 0, run.bytes.length, run.position);
      if (runs.length > 0 || this.#unsynced) {
        this.#unsynced = false;
        await this.#io.fdatasync(fd);
      }
      if (!sameHeader(snapshot, this.#durable)) {
        const bytes = Buffer.alloc(INDEX_HEADER_SIZE);
        encodeHeader(snapshot, bytes);
        await this.#io.pwrite(fd, bytes, 0, INDEX_HEADER_SIZE, 0);
        await this.#io.fdatasync(fd);
        this.#durable = snapshot;
      }
    } catch (error) {
      throw ioError("flush index file", this.path, error);
    }
    if (this.isWriteFull() && snapshot.indexCount === this.header.indexCount)
      this.#regionTrusted = true;
    return this.#durable;
  }

  /** The changed slot pages, copied (puts may go on while they are written), as merged runs. */
  #takeDirtyRuns(): { position: number; bytes: Buffer }[] {
    const pages = this.#dirtyPages;
    const slots = this.#slots;
    if (pages === null || slots === null) return [];
    const runs: { position: number; bytes: Buffer }[] = [];
    for (let page = 0; page < pages.length; page++) {
      if (pages[page] === 0) continue;
      let end = page;
      while (end < pages.length && pages[end] !== 0) pages[end++] = 0;
      const firstSlot = page * SLOTS_PER_PAGE;
      const endSlot = Math.min(end * SLOTS_PER_PAGE, this.geometry.hashSlotNum);
      runs.push({
        position: slotPosition(firstSlot),
        bytes: Buffer.from(slots.subarray(firstSlot * HASH_SLOT_SIZE, endSlot * HASH_SLOT_SIZE)),
      });
      page = end;
    }
    return runs;
  }

  /**
   * Loads the slots so entries can be added: from the slot region when it is trusted and smaller
   * than the entries, else rebuilt from the durable entries (then every page is written at the next
   * flush). Also recounts hashSlotCount when rebuilding. @throws StoreError IO_ERROR.
   */
  async makeWritable(): Promise<void> {
    if (this.#slots !== null) return;
    const slots = Buffer.alloc(this.geometry.hashSlotNum * HASH_SLOT_SIZE);
    const pages = new Uint8Array(Math.ceil(this.geometry.hashSlotNum / SLOTS_PER_PAGE));
    const entryBytes = (this.header.indexCount - 1) * INDEX_ENTRY_SIZE;
    const source: SlotSource =
      this.#regionTrusted && slots.length <= entryBytes ? "region" : "rebuild";
    if (source === "region") {
      try {
        await this.#io.pread(this.#requireFd(), slots, 0, slots.length, INDEX_HEADER_SIZE);
      } catch (error) {
        throw ioError("read index slots", this.path, error);
      }
    } else {
      this.header.hashSlotCount = await this.#rebuildSlots(slots);
      if (!this.#regionTrusted) pages.fill(1);
    }
    this.#slots = slots;
    this.#dirtyPages = pages;
  }

  /** Fills `slots` from the entries [1, indexCount); returns the slots in use. */
  async #rebuildSlots(slots: Buffer): Promise<number> {
    const fd = this.#requireFd();
    const count = this.header.indexCount;
    const buffer = Buffer.allocUnsafe(
      Math.min(ENTRIES_PER_READ, Math.max(1, count - 1)) * INDEX_ENTRY_SIZE,
    );
    let used = 0;
    for (let first = 1; first < count;) {
      const entries = Math.min(ENTRIES_PER_READ, count - first);
      let read: number;
      try {
        read = await this.#io.pread(
          fd,
          buffer,
          0,
          entries * INDEX_ENTRY_SIZE,
          entryPosition(this.geometry, first),
        );
      } catch (error) {
        throw ioError("read index entries", this.path, error);
      }
      if (read < entries * INDEX_ENTRY_SIZE) buffer.fill(0, read, entries * INDEX_ENTRY_SIZE);
      for (let i = 0; i < entries; i++) {
        const keyHash = buffer.readInt32BE(i * INDEX_ENTRY_SIZE);
        if (keyHash < 0) continue;
        const at = (keyHash % this.geometry.hashSlotNum) * HASH_SLOT_SIZE;
        if (slots.readInt32BE(at) === INVALID_INDEX) used++;
        slots.writeInt32BE(first + i, at);
      }
      first += entries;
    }
    return used;
  }

  /** Drops the in-memory slots once they are durable (a full file after its final flush). */
  releaseSlots(): void {
    if (this.#dirtyPages?.some((page) => page !== 0)) return;
    this.#slots = null;
    this.#dirtyPages = null;
  }

  /**
   * Removes the entries of records at or past `logEnd` (entries are in log order) and lowers the
   * covered end to `logEnd`, in memory; the slots are rebuilt when next made writable. Nothing may be
   * buffered. @returns entries removed. @throws StoreError IO_ERROR.
   */
  async truncateFrom(logEnd: number): Promise<number> {
    if (this.#chunks.length > 0) throw new Error(`index file ${this.name} has buffered entries`);
    const before = this.header.indexCount;
    let count = before;
    const fd = this.#requireFd();
    const buffer = Buffer.allocUnsafe(
      Math.min(ENTRIES_PER_READ, Math.max(1, count - 1)) * INDEX_ENTRY_SIZE,
    );
    const entry: IndexEntry = { keyHash: 0, phyOffset: 0, timeDiff: 0, prevIndex: 0 };
    search: while (count > 1) {
      const first = Math.max(1, count - ENTRIES_PER_READ);
      const length = (count - first) * INDEX_ENTRY_SIZE;
      try {
        const read = await this.#io.pread(
          fd,
          buffer,
          0,
          length,
          entryPosition(this.geometry, first),
        );
        if (read < length) buffer.fill(0, read, length);
      } catch (error) {
        throw ioError("read index entries", this.path, error);
      }
      for (let i = count - first - 1; i >= 0; i--) {
        if (readEntry(buffer, i * INDEX_ENTRY_SIZE, entry).phyOffset < logEnd) break search;
        count--;
      }
    }
    this.header.indexCount = count;
    this.header.endPhyOffset = Math.min(this.header.endPhyOffset, logEnd);
    if (count < before) {
      this.#written = count;
      this.#regionTrusted = false;
      this.#slots = null;
      this.#dirtyPages = null;
    }
    return before - count;
  }

  /** Sets the covered end (recovery: the whole index's coverage, capped at the log's end). */
  setCoveredEnd(end: number): void {
    this.header.endPhyOffset = end;
  }

  /** The entry number in `slot`, 0 when none. @throws StoreError IO_ERROR. */
  async readSlot(slot: number, scratch: Buffer): Promise<number> {
    if (this.#slots !== null) return this.#slots.readInt32BE(slot * HASH_SLOT_SIZE);
    const read = await this.#pread(scratch, HASH_SLOT_SIZE, slotPosition(slot));
    return read < HASH_SLOT_SIZE ? INVALID_INDEX : scratch.readInt32BE(0);
  }

  /** Entry `index` (below indexCount) into `into`, from the buffered chunks or the file; null if unreadable. */
  async readEntryAt(index: number, scratch: Buffer, into: IndexEntry): Promise<IndexEntry | null> {
    if (index >= this.#written) {
      for (const chunk of this.#chunks) {
        if (index >= chunk.start && index < chunk.start + chunk.count)
          return readEntry(chunk.buffer, (index - chunk.start) * INDEX_ENTRY_SIZE, into);
      }
      return null;
    }
    const read = await this.#pread(scratch, INDEX_ENTRY_SIZE, entryPosition(this.geometry, index));
    return read < INDEX_ENTRY_SIZE ? null : readEntry(scratch, 0, into);
  }

  async #pread(scratch: Buffer, length: number, position: number): Promise<number> {
    try {
      return await this.#io.pread(this.#requireFd(), scratch, 0, length, position);
    } catch (error) {
      throw ioError("read index file", this.path, error);
    }
  }

  /** Takes a reader's reference; false once the file is being closed or deleted. */
  hold(): boolean {
    if (this.#retiring || this.#fd === null) return false;
    this.#readers++;
    return true;
  }

  /** Gives back a hold taken with `hold()`. */
  release(): void {
    if (--this.#readers === 0) this.#idle?.();
  }

  /** Closes the file once writes in progress and its readers are done (flush first to keep buffered entries). */
  async close(): Promise<void> {
    if (this.#fd === null) return;
    this.#retiring = true;
    await this.#writeChain;
    if (this.#readers > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    const fd = this.#fd;
    this.#fd = null;
    if (fd !== null) await this.#io.close(fd).catch(() => undefined);
  }

  /** Closes and deletes the file. @throws StoreError IO_ERROR when the unlink fails. */
  async destroy(): Promise<void> {
    await this.close();
    try {
      await this.#io.unlink(this.path);
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ENOENT")
        throw ioError("delete index file", this.path, error);
    }
  }

  #requireFd(): number {
    if (this.#fd === null)
      throw ioError(
        "use index file",
        this.path,
        Object.assign(new Error("closed"), { code: "EBADF" }),
      );
    return this.#fd;
  }
}

function sameHeader(a: IndexHeader, b: IndexHeader): boolean {
  return (
    a.indexCount === b.indexCount &&
    a.endPhyOffset === b.endPhyOffset &&
    a.endTimestamp === b.endTimestamp &&
    a.beginTimestamp === b.beginTimestamp &&
    a.beginPhyOffset === b.beginPhyOffset &&
    a.hashSlotCount === b.hashSlotCount
  );
}
