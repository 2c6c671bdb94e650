import { dirname } from "node:path";
import type { FileIO } from "@store/mapped-file";
import { PopError } from "./pop-error.js";

/** Suffix of the file a new state is written to before it replaces the old one. */
export const STATE_TEMP_SUFFIX = ".tmp";

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A small state file replaced atomically: the new text goes to `<path>.tmp`, which is fdatasync'd,
 * renamed over `<path>`, and the directory synced, so after any crash the file holds either the old
 * or the new state, whole. Writes are group-committed: a `write` made while another is on disk waits
 * for the next one, which takes a snapshot of the state as it is then (one disk write serves them all).
 */
export class AtomicStateFile {
  readonly path: string;
  readonly #io: FileIO;
  #snapshot: () => string = () => "";
  #writing = false;
  #next: Deferred | null = null;

  constructor(path: string, io: FileIO) {
    this.path = path;
    this.#io = io;
  }

  /**
   * The file's text, or null when it does not exist (a leftover `.tmp` from a crash is ignored).
   * @throws PopError PERSIST_FAILED when it cannot be read.
   */
  async read(): Promise<string | null> {
    const io = this.#io;
    try {
      const stat = await io.stat(this.path);
      if (stat === null) return null;
      const fd = await io.open(this.path, false);
      try {
        const buffer = Buffer.alloc(stat.size);
        let done = 0;
        while (done < stat.size) {
          const read = await io.pread(fd, buffer, done, stat.size - done, done);
          if (read === 0) break;
          done += read;
        }
        return buffer.toString("utf8", 0, done);
      } finally {
        await io.close(fd);
      }
    } catch (error) {
      throw new PopError("PERSIST_FAILED", `cannot read ${this.path}`, { cause: error });
    }
  }

  /**
   * Makes a snapshot durable. `snapshot` is called (synchronously) when the disk write starts, so the
   * state written is at least as new as the state when `write` was called.
   * @throws PopError PERSIST_FAILED when the write, sync or rename fails.
   */
  write(snapshot: () => string): Promise<void> {
    this.#snapshot = snapshot;
    if (this.#next !== null) return this.#next.promise;
    const next = deferred();
    this.#next = next;
    if (!this.#writing) void this.#drain();
    return next.promise;
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#next !== null) {
      const current = this.#next;
      this.#next = null;
      try {
        await this.#writeNow(this.#snapshot());
        current.resolve();
      } catch (error) {
        current.reject(
          new PopError("PERSIST_FAILED", `cannot write ${this.path}`, { cause: error }),
        );
      }
    }
    this.#writing = false;
  }

  async #writeNow(text: string): Promise<void> {
    const io = this.#io;
    const temp = this.path + STATE_TEMP_SUFFIX;
    const bytes = Buffer.from(text, "utf8");
    const fd = await io.open(temp, true);
    try {
      await io.truncate(fd, 0);
      await io.pwrite(fd, bytes, 0, bytes.length, 0);
      await io.fdatasync(fd);
    } finally {
      await io.close(fd);
    }
    await io.rename(temp, this.path);
    await io.syncDirectory(dirname(this.path));
  }
}
