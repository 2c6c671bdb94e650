import { statfs } from "node:fs/promises";
import type { Logger } from "pino";
import type { CommitLog } from "./commit-log.js";
import type { ConsumeQueueTable } from "./consume-queue-table.js";

/** Options of the `CleanCommitLogService`: when files expire and how they are deleted. */
export interface CleanCommitLogOptions {
  /** Files older than this are expired, hours. */
  readonly fileReservedTimeHours: number;
  /** Hours of the day when expired files are deleted, e.g. "04" or "04;16". */
  readonly deleteWhen: string;
  /** Disk usage (percent) past which expired files go at any hour, and the oldest even if not expired. */
  readonly diskMaxUsedSpaceRatio: number;
  readonly deleteFilesIntervalMs: number;
  readonly destroyIntervalForciblyMs: number;
  readonly logger: Logger;
  /** Used share of the store's disk, 0..1. Default: statfs of `path`. */
  readonly diskUsage?: (path: string) => Promise<number>;
  /** Deletes the index files whose records all lie below the log's new min offset; returns how many. */
  readonly deleteExpiredIndexFiles?: (minOffset: number) => Promise<number>;
}

/** Critical usage: past `diskMaxUsedSpaceRatio` plus this many points, even unexpired files go. */
const FORCE_CLEAN_MARGIN_PERCENT = 10;

async function statfsUsage(path: string): Promise<number> {
  const stats = await statfs(path);
  return stats.blocks === 0 ? 0 : 1 - stats.bavail / stats.blocks;
}

/**
 * Deletes expired commit-log files (RocketMQ's CleanCommitLogService) and the consume-queue and
 * index files that only point into them. Never the file being written (a file queue never deletes
 * its last file), and a file a reader holds only after `destroyIntervalForciblyMs`.
 */
export class CleanCommitLogService {
  readonly #commitLog: CommitLog;
  readonly #queues: ConsumeQueueTable;
  readonly #options: CleanCommitLogOptions;
  readonly #hours: ReadonlySet<number>;

  constructor(commitLog: CommitLog, queues: ConsumeQueueTable, options: CleanCommitLogOptions) {
    this.#commitLog = commitLog;
    this.#queues = queues;
    this.#options = options;
    this.#hours = new Set(options.deleteWhen.split(";").map(Number));
  }

  /** One check at time `now` (its hour picks deleteWhen): deletes what is due; returns how many commit-log files went. */
  async run(now = new Date()): Promise<number> {
    const usage = await (this.#options.diskUsage ?? statfsUsage)(
      this.#commitLog.mappedFileQueue.storePath,
    ).catch(() => 0);
    const percent = usage * 100;
    const timeToDelete = this.#hours.has(now.getHours());
    const spaceFull = percent >= this.#options.diskMaxUsedSpaceRatio;
    if (!timeToDelete && !spaceFull) return 0;
    const cleanImmediately =
      percent >= this.#options.diskMaxUsedSpaceRatio + FORCE_CLEAN_MARGIN_PERCENT;
    const deleted = await this.#commitLog.mappedFileQueue.deleteExpiredFileByTime(
      this.#options.fileReservedTimeHours * 3_600_000,
      this.#options.deleteFilesIntervalMs,
      this.#options.destroyIntervalForciblyMs,
      cleanImmediately,
    );
    if (deleted > 0) {
      const minOffset = this.#commitLog.getMinOffset();
      const queueFiles = await this.#queues.deleteExpired(minOffset);
      const indexFiles = (await this.#options.deleteExpiredIndexFiles?.(minOffset)) ?? 0;
      this.#options.logger.info(
        { deleted, queueFiles, indexFiles, minOffset, diskUsedPercent: Math.round(percent) },
        "deleted expired commit-log files",
      );
    }
    return deleted;
  }
}
