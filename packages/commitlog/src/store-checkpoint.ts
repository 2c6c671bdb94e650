import { dirname } from "node:path";
import type { FileIO } from "@store/mapped-file";
import { StoreError, ioError, nodeFileIO } from "@store/mapped-file";

const CHECKPOINT_SIZE = 4096;
const PHYSIC_AT = 0;
const LOGICS_AT = 8;
const INDEX_AT = 16;
/** RocketMQ's slack when choosing where abnormal recovery starts, ms. */
const MIN_TIMESTAMP_SLACK_MS = 3000;

/**
 * The checkpoint file (RocketMQ's StoreCheckpoint): one 4 KiB page holding, big-endian at bytes 0, 8
 * and 16, the store time of the last message known flushed to the commit log, of the last unit
 * dispatched to a consume queue, and of the last index flush. Abnormal recovery starts from the
 * newest commit-log file whose first message is older than `getMinTimestamp()`.
 */
export class StoreCheckpoint {
  readonly path: string;
  /** Store time of the last commit-log message covered by a flush, ms since the epoch. */
  physicMsgTimestamp = 0;
  /** Store time of the last consume-queue unit made durable, ms. */
  logicsMsgTimestamp = 0;
  /** Store time of the last index flush, ms (no index yet: follows logicsMsgTimestamp). */
  indexMsgTimestamp = 0;
  readonly #io: FileIO;
  #fd: number | null;
  readonly #page = Buffer.alloc(CHECKPOINT_SIZE);

  private constructor(path: string, io: FileIO, fd: number) {
    this.path = path;
    this.#io = io;
    this.#fd = fd;
  }

  /**
   * Opens the checkpoint at `path`, reading its fields when it exists (zeros otherwise).
   * @throws StoreError IO_ERROR
   */
  static async open(path: string, io: FileIO = nodeFileIO): Promise<StoreCheckpoint> {
    try {
      const created = (await io.stat(path)) === null;
      const fd = await io.open(path, true);
      // A new file's name survives a power cut only once its directory is synced.
      if (created) await io.syncDirectory(dirname(path));
      const checkpoint = new StoreCheckpoint(path, io, fd);
      const page = Buffer.alloc(CHECKPOINT_SIZE);
      const read = await io.pread(fd, page, 0, CHECKPOINT_SIZE, 0);
      if (read >= INDEX_AT + 8) {
        checkpoint.physicMsgTimestamp = Number(page.readBigInt64BE(PHYSIC_AT));
        checkpoint.logicsMsgTimestamp = Number(page.readBigInt64BE(LOGICS_AT));
        checkpoint.indexMsgTimestamp = Number(page.readBigInt64BE(INDEX_AT));
      }
      return checkpoint;
    } catch (error) {
      throw ioError("open checkpoint", path, error);
    }
  }

  /** `max(0, min(physic, logics) - 3000)`: no message newer than this can be missing from both. */
  getMinTimestamp(): number {
    return Math.max(
      0,
      Math.min(this.physicMsgTimestamp, this.logicsMsgTimestamp) - MIN_TIMESTAMP_SLACK_MS,
    );
  }

  /**
   * Writes the fields and fdatasyncs the page.
   * @throws StoreError FILE_DESTROYED after shutdown; DISK_FULL or IO_ERROR.
   */
  async flush(): Promise<void> {
    const fd = this.#fd;
    if (fd === null) throw new StoreError("FILE_DESTROYED", `${this.path} is closed`);
    this.#page.writeBigInt64BE(BigInt(this.physicMsgTimestamp), PHYSIC_AT);
    this.#page.writeBigInt64BE(BigInt(this.logicsMsgTimestamp), LOGICS_AT);
    this.#page.writeBigInt64BE(BigInt(this.indexMsgTimestamp), INDEX_AT);
    try {
      await this.#io.pwrite(fd, this.#page, 0, CHECKPOINT_SIZE, 0);
      await this.#io.fdatasync(fd);
    } catch (error) {
      throw ioError("flush checkpoint", this.path, error);
    }
  }

  /** Closes without writing (a failed open must not overwrite what it could not use). Idempotent. */
  async close(): Promise<void> {
    const fd = this.#fd;
    if (fd === null) return;
    this.#fd = null;
    await this.#io.close(fd).catch(() => undefined);
  }

  /** Flushes and closes. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.#fd === null) return;
    await this.flush();
    const fd = this.#fd;
    this.#fd = null;
    await this.#io.close(fd).catch(() => undefined);
  }
}
