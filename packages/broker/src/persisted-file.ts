import type { Logger } from "pino";
import { writeJsonFileAtomically } from "./json-file.js";

/**
 * A JSON file rewritten atomically from a snapshot function. Writes never overlap: a change while a
 * write runs schedules exactly one more, so the file ends up with the latest state and at most two
 * writes are ever pending.
 */
export class PersistedFile {
  readonly #path: string;
  readonly #snapshot: () => unknown;
  readonly #logger: Logger;
  #writing: Promise<void> | null = null;
  #dirty = false;

  constructor(path: string, snapshot: () => unknown, logger: Logger) {
    this.#path = path;
    this.#snapshot = snapshot;
    this.#logger = logger;
  }

  /** Writes soon (in the background); failures are logged and retried with the next write. */
  schedule(): void {
    void this.persist().catch((error: unknown) =>
      this.#logger.error({ err: error, path: this.#path }, "persist failed"),
    );
  }

  /** Writes the current state; resolves once a write that started after this call has finished. */
  async persist(): Promise<void> {
    this.#dirty = true;
    while (this.#writing !== null) await this.#writing.catch(() => undefined);
    if (!this.#dirty) return;
    this.#dirty = false;
    const write = writeJsonFileAtomically(this.#path, this.#snapshot());
    this.#writing = write;
    try {
      await write;
    } catch (error) {
      this.#dirty = true;
      throw error;
    } finally {
      this.#writing = null;
    }
  }
}
