import type { MappedFile } from "./mapped-file.js";
import type { TransientStorePool } from "./transient-store-pool.js";

/** What a file's pool mode looks like at the moment a notice goes out. */
export interface PoolState {
  readonly pool: TransientStorePool | null;
  /** The borrowed buffer; null once the file gave it back (or never had one). */
  readonly buffer: Buffer | null;
  readonly wrote: number;
}

/**
 * A pool-mode file's side of `TransientStorePool.afterAppend`: the tick's first append schedules one
 * notice (a microtask) of the bytes the tick appended, and a file closed while the work a notice
 * started is under way gives its buffer back only once that work settles.
 */
export class AppendNotices {
  readonly #file: MappedFile;
  readonly #state: () => PoolState;
  /** Where the bytes this tick appended start, until the notice goes out; -1 when none are pending. */
  #tickFrom = -1;
  /** Notices whose work has not settled. */
  #unsettled = 0;
  /** A buffer given back while work was unsettled, and its pool: returned once none is. */
  #held: { readonly pool: TransientStorePool; readonly buffer: Buffer } | null = null;

  /** @param state - read once per notice (not per append). */
  constructor(file: MappedFile, state: () => PoolState) {
    this.#file = file;
    this.#state = state;
  }

  /** An append at `position` of a file with a pool buffer and an afterAppend hook. */
  appended(position: number): void {
    if (this.#tickFrom >= 0) return;
    this.#tickFrom = position;
    queueMicrotask(this.#tell);
  }

  /** Gives `buffer` back to `pool` now, or once the work under way on it settles. */
  giveBack(pool: TransientStorePool | null, buffer: Buffer): void {
    if (pool === null) return;
    if (this.#unsettled > 0) this.#held = { pool, buffer };
    else pool.returnBuffer(buffer);
  }

  readonly #tell = (): void => {
    const from = this.#tickFrom;
    this.#tickFrom = -1;
    const { pool, buffer, wrote } = this.#state();
    const hook = pool?.afterAppend;
    if (buffer === null || !hook || wrote <= from) return;
    this.#unsettled++;
    hook(this.#file, buffer, from, wrote).then(this.#settled, this.#settled);
  };

  readonly #settled = (): void => {
    if (--this.#unsettled > 0 || this.#held === null) return;
    this.#held.pool.returnBuffer(this.#held.buffer);
    this.#held = null;
  };
}
