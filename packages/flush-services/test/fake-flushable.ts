import { StoreError } from "@store/mapped-file";
import type { Flushable } from "../src/types.js";

const PAGE = 4096;

/**
 * An in-memory Flushable with MappedFileQueue's rules: one file per call, `true` when the position
 * advanced, leastPages counted in 4 KiB pages (a full file always goes), the flushed position taken
 * before the fdatasync and published after it. fdatasyncs can be stalled and calls can fail.
 */
export class FakeFlushable implements Flushable {
  readonly fileSize: number;
  readonly pool: boolean;
  wrote = 0;
  committedWhere = 0;
  flushedWhere = 0;
  storeTimestamp = 0;
  readonly calls = { commit: 0, flush: 0, fsyncs: 0, commitsAdvanced: 0 };
  /** What was covered by each completed fsync, in order. */
  readonly fsyncCovered: number[] = [];
  /** What each fsync will cover, in the order they started. */
  readonly fsyncStarted: number[] = [];
  #lastAppendTimestamp = 0;
  #stall: Promise<void> | null = null;
  #failures: { op: "commit" | "flush"; code: "DISK_FULL" | "IO_ERROR"; times: number }[] = [];
  #fsyncsInFlight = 0;

  constructor(options: { fileSize?: number; pool?: boolean } = {}) {
    this.fileSize = options.fileSize ?? 64 * PAGE;
    this.pool = options.pool ?? false;
  }

  /** Appends `bytes`; returns the offset just past them (a request's nextOffset). */
  append(bytes: number): number {
    const fileEnd = this.#fileEnd(this.wrote);
    if (this.wrote + bytes > fileEnd) this.wrote = fileEnd; // blank the rest, as a roll-over does
    this.wrote += bytes;
    if (!this.pool) this.committedWhere = this.wrote;
    this.#lastAppendTimestamp = Date.now();
    return this.wrote;
  }

  /** Holds every fsync until the returned function is called. */
  stallFsyncs(): () => void {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.#stall = gate;
    return () => {
      if (this.#stall === gate) this.#stall = null;
      release();
    };
  }

  /** The next `times` calls of `op` throw a StoreError with `code`. */
  failOn(op: "commit" | "flush", code: "DISK_FULL" | "IO_ERROR" = "IO_ERROR", times = 1): void {
    this.#failures.push({ op, code, times });
  }

  heal(): void {
    this.#failures = [];
  }

  get fsyncsInFlight(): number {
    return this.#fsyncsInFlight;
  }

  async commit(leastPages: number): Promise<boolean> {
    this.calls.commit++;
    await Promise.resolve();
    this.#maybeFail("commit");
    if (!this.pool) return false;
    const from = this.committedWhere;
    const to = Math.min(this.wrote, this.#fileEnd(from));
    if (!this.#enough(from, to, leastPages)) return false;
    this.committedWhere = to;
    this.calls.commitsAdvanced++;
    return true;
  }

  async flush(leastPages: number): Promise<boolean> {
    this.calls.flush++;
    await Promise.resolve();
    this.#maybeFail("flush");
    const from = this.flushedWhere;
    const to = Math.min(this.committedWhere, this.#fileEnd(from));
    if (!this.#enough(from, to, leastPages)) return false;
    const timestamp = this.#lastAppendTimestamp;
    this.fsyncStarted.push(to);
    this.#fsyncsInFlight++;
    try {
      while (this.#stall) await this.#stall;
    } finally {
      this.#fsyncsInFlight--;
    }
    this.#maybeFail("flush");
    this.calls.fsyncs++;
    this.fsyncCovered.push(to);
    if (to > this.flushedWhere) this.flushedWhere = to;
    if (leastPages === 0) this.storeTimestamp = timestamp;
    return true;
  }

  #fileEnd(offset: number): number {
    return (Math.floor(offset / this.fileSize) + 1) * this.fileSize;
  }

  #enough(from: number, to: number, leastPages: number): boolean {
    if (to <= from) return false;
    if (leastPages <= 0 || to === this.#fileEnd(from)) return true;
    return Math.floor(to / PAGE) - Math.floor(from / PAGE) >= leastPages;
  }

  #maybeFail(op: "commit" | "flush"): void {
    const failure = this.#failures.find((f) => f.op === op && f.times > 0);
    if (!failure) return;
    failure.times--;
    throw new StoreError(failure.code, `simulated ${op} failure`);
  }
}
