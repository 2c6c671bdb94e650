import type { Clock } from "@store/mapped-file";
import { systemClock } from "@store/mapped-file";
import type { Logger } from "pino";
import { CommitRealTimeService } from "./commit-real-time-service.js";
import { parseFlushConfig } from "./flush-config.js";
import type { FlushConfig, FlushConfigInput } from "./flush-config.js";
import { FlushDiskWatcher } from "./flush-disk-watcher.js";
import { FlushRealTimeService } from "./flush-real-time-service.js";
import { GroupCommitRequest } from "./group-commit-request.js";
import { GroupCommitService } from "./group-commit-service.js";
import { defaultLogger } from "./logger.js";
import type { FlushStatus, FlushedCallback, Flushable } from "./types.js";

const PUT_OK: Promise<FlushStatus> = Promise.resolve("PUT_OK");

/** What a `FlushManager` takes besides the queue and the flush config. */
export interface FlushManagerOptions {
  /** Where the services log. Default: a silent pino logger. */
  readonly logger?: Logger;
  /**
   * Called with the queue's `storeTimestamp` (ms since the epoch) when a flush moved it; the commit log
   * records it as the checkpoint's `physicMsgTimestamp`.
   */
  readonly onFlushed?: FlushedCallback;
  /**
   * The queue's segment size, bytes: under ASYNC_FLUSH a file is then flushed as soon as it is
   * complete, not at the next interval (see FlushRealTimeServiceOptions.mappedFileSize).
   */
  readonly mappedFileSize?: number;
  /**
   * With a TransientStorePool: called after every commit round that moved bytes into the file, so
   * they just became readable (the commit log wakes its dispatcher).
   */
  readonly onCommitted?: () => void;
  /** Time for every service's waits and the SYNC_FLUSH deadlines. Default: real time. */
  readonly clock?: Clock;
}

/**
 * Picks and wires the flush services for a config (RocketMQ's DefaultFlushManager):
 *
 * - SYNC_FLUSH: GroupCommitService + FlushDiskWatcher. With `transientStorePoolEnable`, the group
 *   commit commits the pool bytes itself before each fdatasync (no CommitRealTimeService).
 * - ASYNC_FLUSH: FlushRealTimeService.
 * - ASYNC_FLUSH + `transientStorePoolEnable`: CommitRealTimeService + FlushRealTimeService.
 *
 * `start()` starts the flush service, the watcher, then the commit service; `shutdown()` stops the
 * commit service (it drains), then the flush service (final flush), then the watcher.
 */
export class FlushManager {
  /** The validated config, defaults filled in. */
  readonly config: FlushConfig;
  /** The service that makes appended bytes durable. */
  readonly flushService: GroupCommitService | FlushRealTimeService;
  /** ASYNC_FLUSH with a pool only; null otherwise. */
  readonly commitService: CommitRealTimeService | null;
  /** SYNC_FLUSH only; null otherwise. */
  readonly flushDiskWatcher: FlushDiskWatcher | null;
  readonly #queue: Flushable;
  readonly #clock: Clock;
  #shuttingDown: Promise<void> | null = null;

  /** @throws StoreError INVALID_CONFIG naming the bad key(s). */
  constructor(queue: Flushable, config: FlushConfigInput = {}, options: FlushManagerOptions = {}) {
    this.config = parseFlushConfig(config);
    this.#queue = queue;
    const c = this.config;
    const logger = options.logger ?? defaultLogger();
    const joinTimeMs = c.serviceJoinTimeMs;
    const clock = (this.#clock = options.clock ?? systemClock);
    if (c.flushDiskType === "SYNC_FLUSH") {
      this.flushService = new GroupCommitService(queue, {
        logger,
        joinTimeMs,
        clock,
        commitBeforeFlush: c.transientStorePoolEnable,
        idleIntervalMs: c.groupCommitIntervalMs,
        onFlushed: options.onFlushed,
      });
      this.flushDiskWatcher = new FlushDiskWatcher({ logger, joinTimeMs, clock });
      this.commitService = null;
      return;
    }
    const flush = new FlushRealTimeService(queue, {
      logger,
      joinTimeMs,
      clock,
      flushIntervalMs: c.flushIntervalCommitLog,
      timed: c.flushCommitLogTimed,
      leastPages: c.flushCommitLogLeastPages,
      thoroughIntervalMs: c.flushCommitLogThoroughInterval,
      onFlushed: options.onFlushed,
      mappedFileSize: options.mappedFileSize,
    });
    this.flushService = flush;
    this.flushDiskWatcher = null;
    this.commitService = c.transientStorePoolEnable
      ? new CommitRealTimeService(queue, {
          logger,
          joinTimeMs,
          clock,
          commitIntervalMs: c.commitIntervalCommitLog,
          leastPages: c.commitCommitLogLeastPages,
          thoroughIntervalMs: c.commitCommitLogThoroughInterval,
          flushService: flush,
          onCommitted: options.onCommitted,
        })
      : null;
  }

  /** Starts the services (a no-op for those already running). */
  start(): void {
    this.#shuttingDown = null;
    this.flushService.start();
    this.flushDiskWatcher?.start();
    this.commitService?.start();
  }

  /**
   * Stops the commit service (drain), then the flush service (final flush; under SYNC_FLUSH every
   * pending request completes), then the watcher. Calling it again returns the same promise.
   */
  shutdown(): Promise<void> {
    this.#shuttingDown ??= this.#shutdownInOrder();
    return this.#shuttingDown;
  }

  /**
   * Called after a message was appended, with the offset just past it. SYNC_FLUSH with
   * `waitStoreMsgOK`: resolves PUT_OK once an fdatasync covered `nextOffset`, or FLUSH_DISK_TIMEOUT
   * after `syncFlushTimeout` ms. Otherwise it wakes the service that moves the bytes on and resolves
   * PUT_OK at once. Before `start()` a SYNC request waits for the service to start; after `shutdown()`
   * it completes at once (PUT_OK only if already flushed).
   * @throws StoreError BAD_ARGUMENT for a negative or non-integer `nextOffset` (SYNC_FLUSH).
   */
  handleDiskFlush(nextOffset: number, waitStoreMsgOK = true): Promise<FlushStatus> {
    const service = this.flushService;
    if (service instanceof GroupCommitService) {
      if (!waitStoreMsgOK) {
        service.wakeup();
        return PUT_OK;
      }
      if (
        Number.isSafeInteger(nextOffset) &&
        nextOffset >= 0 &&
        this.#queue.flushedWhere >= nextOffset
      )
        return PUT_OK;
      const request = new GroupCommitRequest(nextOffset, this.config.syncFlushTimeout, this.#clock);
      this.flushDiskWatcher?.add(request);
      service.putRequest(request);
      return request.future;
    }
    if (this.commitService) this.commitService.wakeup();
    else service.wakeup(nextOffset); // page-cache mode: the bytes are in the file by the end of this tick
    return PUT_OK;
  }

  /** Wakes the commit service (pool) and the flush service; a timed flush service ignores it. */
  wakeup(): void {
    this.commitService?.wakeup();
    this.flushService.wakeup();
  }

  async #shutdownInOrder(): Promise<void> {
    await this.commitService?.shutdown();
    await this.flushService.shutdown();
    await this.flushDiskWatcher?.shutdown();
  }
}
