import { join } from "node:path";
import type { Clock, ClockTimer, FileIO } from "@store/mapped-file";
import { StoreError, ensureDirectory, ioError, nodeFileIO, systemClock } from "@store/mapped-file";
import type { Logger } from "pino";
import { pino } from "pino";
import { storeTimestampPosition, SYSFLAG_POSITION } from "@store/message-codec";
import type { DecodedMessage, MessageInput } from "@store/message-codec";
import type { CommitLog } from "./commit-log.js";
import type { RecoveryReport } from "./commit-log-recovery.js";
import { emptyRecoveryReport } from "./commit-log-recovery.js";
import type { ConsumeQueue } from "./consume-queue.js";
import type { QueueRecoveryReport } from "./dispatch-plan.js";
import type { ConsumeQueueTable } from "./consume-queue-table.js";
import type { IndexRecoveryReport, IndexService } from "./index-service.js";
import type { QueryMessageResult } from "./message-query.js";
import { queryMessages } from "./message-query.js";
import type { MessageStoreConfig, MessageStoreConfigInput } from "./message-store-config.js";
import { parseMessageStoreConfig } from "./message-store-config.js";
import type { ConsumeQueueFilter, PullLimits } from "./message-reader.js";
import { DEFAULT_PULL_LIMITS, readQueueMessages } from "./message-reader.js";
import type { DispatchListener } from "./reput-message-service.js";
import type { LookMessageResult } from "./message-lookup.js";
import { lookMessageAt } from "./message-lookup.js";
import type { StoreAssembly, StoreAssemblyInput } from "./store-assembly.js";
import { assembleStore, maxRecordBytes } from "./store-assembly.js";
import { StoreCheckpoint } from "./store-checkpoint.js";
import { StoreLock } from "./store-lock.js";
import type { CommitLogErrorCode } from "./store-errors.js";
import { recoverStore } from "./store-recovery.js";
import type { GetMessageResult, PutMessageResult } from "./store-types.js";

/** What `MessageStore.open` takes besides the config. */
export interface MessageStoreOptions {
  /** File access; a SimulatedDisk in crash tests. Default node:fs. */
  readonly io?: FileIO;
  /**
   * Where the store logs. Default: pino at "warn" to stdout (recovery cuts, failed flushes, cleanup
   * errors); pass `pino({ level: "info" })` or a child of the host's logger to see more.
   */
  readonly logger?: Logger;
  /** Used share (0..1) of the disk holding `path`; default statfs. */
  readonly diskUsage?: (path: string) => Promise<number>;
  /** Pull limits per getMessage. */
  readonly pullLimits?: PullLimits;
  /**
   * Time for every timer of the store (flush, commit, dispatch, consume-queue flush, cleanup, the
   * SYNC_FLUSH timeout) and for the store timestamps written into records. Default: real time. A
   * crash test passes a `VirtualClock` so a run replays exactly.
   */
  readonly clock?: Clock;
}

/** Options of `MessageStore.waitForDispatch`. */
export interface WaitForDispatchOptions {
  /** Reject with StoreError DISPATCH_TIMEOUT after this long, ms. Default: no deadline. */
  readonly timeoutMs?: number;
}

/** A consume queue, as `listTopicQueues` names it. */
export interface TopicQueue {
  readonly topic: string;
  readonly queueId: number;
}

/** The store's parts; when they cannot be built (e.g. no memory for the pool), closes the checkpoint. */
async function assembleOrClose(input: StoreAssemblyInput): Promise<StoreAssembly> {
  try {
    return assembleStore(input);
  } catch (error) {
    await input.checkpoint.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The message store (RocketMQ's DefaultMessageStore): a commit log, its consume queues, the flush
 * strategy, the checkpoint, crash recovery and expired-file cleanup, behind put / get.
 *
 * ```ts
 * const store = await MessageStore.open({ storePathRootDir: "/var/lib/store", flushDiskType: "SYNC_FLUSH" });
 * const put = await store.putMessage({ topic: "orders", body: Buffer.from("hello") });
 * const got = await store.getMessage("group", "orders", 0, 0, 32);
 * await store.shutdown();
 * ```
 */
export class MessageStore {
  readonly config: MessageStoreConfig;
  readonly commitLog: CommitLog;
  readonly consumeQueues: ConsumeQueueTable;
  readonly checkpoint: StoreCheckpoint;
  /** What the commit log's recovery did at open. */
  readonly recovery: RecoveryReport;
  /** What recovery kept of the consume queues and where dispatch restarted (see DISPATCH_RULES). */
  readonly queueRecovery: QueueRecoveryReport;
  /** What recovery did to the message index (see INDEX_RULE); null when messageIndexEnable is false. */
  readonly indexRecovery: IndexRecoveryReport | null = null;
  /** The message index (RocketMQ's IndexService); null when messageIndexEnable is false. */
  readonly indexService: IndexService | null;
  readonly #io: FileIO;
  readonly #logger: Logger;
  readonly #lock: StoreLock;
  readonly #parts: StoreAssembly;
  readonly #pullLimits: PullLimits;
  readonly #clock: Clock;
  #cleanTimer: ClockTimer | null = null;
  #state: "running" | "stopping" | "stopped" = "running";

  private constructor(
    parts: StoreAssembly,
    opened: { input: StoreAssemblyInput; lock: StoreLock; pullLimits?: PullLimits },
  ) {
    const { config, io, logger, clock, checkpoint } = opened.input;
    this.config = config;
    this.#io = io;
    this.#logger = logger;
    this.#clock = clock;
    this.#lock = opened.lock;
    this.checkpoint = checkpoint;
    this.#parts = parts;
    this.commitLog = parts.commitLog;
    this.consumeQueues = parts.consumeQueues;
    this.indexService = parts.index;
    this.#pullLimits = opened.pullLimits ?? DEFAULT_PULL_LIMITS;
    this.recovery = emptyRecoveryReport();
    this.queueRecovery = {
      case: "CLEAN_SHUTDOWN",
      keptUnitsBelow: 0,
      restartedAt: 0,
      dispatchStart: "END_OF_HIGHEST_UNIT",
      zeroedBytes: 0,
      mismatchedUnits: 0,
      gapsFound: 0,
    };
  }

  /**
   * Opens (creating if needed) the store at `config.storePathRootDir`: takes the directory lock,
   * loads the files, recovers (abnormally when the `abort` file shows a crash), rebuilds the consume
   * queues past the last dispatched offset, and starts the services.
   * @throws StoreError INVALID_CONFIG, STORE_LOCKED, LOAD_FAILED / DIRECTORY_GAP / FILE_SIZE_MISMATCH
   *   (a directory the store cannot trust), IO_ERROR.
   */
  static async open(
    config: MessageStoreConfigInput = {},
    options: MessageStoreOptions = {},
  ): Promise<MessageStore> {
    const parsed = parseMessageStoreConfig(config);
    const io = options.io ?? nodeFileIO;
    const logger = options.logger ?? pino({ name: "message-store", level: "warn" });
    const root = parsed.storePathRootDir;
    // Durable names from the start: a power cut must not take a directory with files synced inside it.
    await ensureDirectory(io, join(root, "commitlog")).catch((e: unknown) =>
      Promise.reject(ioError("create", join(root, "commitlog"), e)),
    );
    await ensureDirectory(io, join(root, "consumequeue")).catch((e: unknown) =>
      Promise.reject(ioError("create", join(root, "consumequeue"), e)),
    );
    const clock = options.clock ?? systemClock;
    const lock = await StoreLock.acquire(join(root, "lock"), io, clock);
    try {
      const checkpoint = await StoreCheckpoint.open(join(root, "checkpoint"), io);
      const input: StoreAssemblyInput = {
        config: parsed,
        io,
        logger,
        clock,
        checkpoint,
        diskUsage: options.diskUsage,
      };
      const parts = await assembleOrClose(input);
      const store = new MessageStore(parts, { input, lock, pullLimits: options.pullLimits });
      try {
        await store.#start();
      } catch (error) {
        await store.#closeFiles();
        throw error;
      }
      return store;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** Closes what a failed open had opened (segments, index files, checkpoint), keeping them on disk. */
  async #closeFiles(): Promise<void> {
    await this.commitLog.mappedFileQueue.shutdown(0).catch(() => undefined);
    await this.consumeQueues.shutdown().catch(() => undefined);
    await this.indexService?.shutdown().catch(() => undefined);
    await this.checkpoint.close().catch(() => undefined);
    this.#parts.pool?.destroy();
  }

  async #start(): Promise<void> {
    const abortPath = join(this.config.storePathRootDir, "abort");
    const abortFileFound = (await this.#io.stat(abortPath)) !== null;
    // Before recovery cuts anything: a crash from here on, even during recovery, is recovered as one.
    await this.#createAbortFile(abortPath);
    await this.commitLog.mappedFileQueue.load();
    await this.consumeQueues.load();
    const indexLoad = (await this.indexService?.load(abortFileFound)) ?? { loaded: 0, dropped: 0 };
    const recovered = await recoverStore(
      {
        commitLog: this.commitLog,
        consumeQueues: this.consumeQueues,
        checkpoint: this.checkpoint,
        reput: this.#parts.reput,
        logger: this.#logger,
        checkCRC: this.config.checkCRCOnRecover,
        forceVerifyPropCRC: this.config.forceVerifyPropCRC,
        maxRecordBytes: maxRecordBytes(this.config.maxMessageSize),
        index: this.indexService,
        indexLoad,
      },
      abortFileFound,
    );
    (this as { recovery: RecoveryReport }).recovery = recovered.log;
    (this as { queueRecovery: QueueRecoveryReport }).queueRecovery = recovered.queues;
    (this as { indexRecovery: IndexRecoveryReport | null }).indexRecovery = recovered.index;
    this.#recoverTopicQueueTable();
    const minOffset = this.commitLog.getMinOffset();
    if (minOffset > 0) {
      await this.consumeQueues.correctMinOffsets(minOffset);
      await this.indexService?.deleteExpiredFiles(minOffset);
    }
    this.#parts.allocate.start();
    this.commitLog.start();
    this.#parts.reput.start();
    this.#parts.flushQueues.start();
    this.#scheduleClean();
  }

  /** Arms the next cleanup check (RocketMQ's scheduled cleanResourceInterval task). */
  #scheduleClean(): void {
    this.#cleanTimer = this.#clock.setTimeout(() => {
      void this.#runClean().finally(() => {
        if (this.#state === "running") this.#scheduleClean();
      });
    }, this.config.cleanResourceInterval);
    this.#cleanTimer.unref();
  }

  #recoverTopicQueueTable(): void {
    const next = (queue: ConsumeQueue): [string, number] => [
      `${queue.topic}-${queue.queueId}`,
      queue.getMaxOffsetInQueue(),
    ];
    this.commitLog.resetTopicQueueTable(Array.from(this.consumeQueues.all(), next));
  }

  /** Creates `abort` (or keeps the one a crash left), durably. @throws StoreError IO_ERROR / DISK_FULL. */
  async #createAbortFile(path: string): Promise<void> {
    try {
      const fd = await this.#io.open(path, true);
      await this.#io.close(fd);
      await this.#io.syncDirectory(this.config.storePathRootDir);
    } catch (error) {
      throw ioError("create", path, error);
    }
  }

  /**
   * Removes `abort` and syncs the directory: until the removal is durable, a power cut brings the
   * file back and the next open scans the whole log as after a crash.
   */
  async #removeAbortFile(): Promise<void> {
    const root = this.config.storePathRootDir;
    try {
      await this.#io.unlink(join(root, "abort"));
      await this.#io.syncDirectory(root);
    } catch (error) {
      this.#logger.warn(
        { err: error },
        "could not remove the abort file durably: the next open may recover abnormally",
      );
    }
  }

  async #runClean(): Promise<void> {
    try {
      await this.#parts.clean.run(new Date(this.#clock.now()));
    } catch (error) {
      this.#logger.error({ err: error }, "expired-file cleanup failed");
    }
  }

  /** Deletes expired files now (the cleanup timer does this every cleanResourceInterval). */
  cleanExpiredFiles(now?: Date): Promise<number> {
    return this.#parts.clean.run(now ?? new Date(this.#clock.now()));
  }

  /** Stores one message; resolves when it is as durable as the flush strategy promises. */
  putMessage(msg: MessageInput): Promise<PutMessageResult> {
    if (this.#state !== "running")
      return Promise.resolve({ status: "SERVICE_NOT_AVAILABLE", reason: "the store is shut down" });
    return this.commitLog.putMessage(msg);
  }

  /**
   * Stores a batch (one topic and queue) as consecutive records, all or nothing; `properties` are
   * added to every message (RocketMQ's batch-level properties).
   */
  putMessages(
    batch: readonly MessageInput[],
    properties?: Readonly<Record<string, string>>,
  ): Promise<PutMessageResult> {
    if (this.#state !== "running")
      return Promise.resolve({ status: "SERVICE_NOT_AVAILABLE", reason: "the store is shut down" });
    return this.commitLog.putMessages(batch, properties);
  }

  /**
   * Up to `maxMsgNums` messages of a queue from queue offset `offset` (encoded records), with where
   * the next pull should start. `group` is accepted for RocketMQ API parity. With `filter`, only
   * messages whose consume-queue tagsCode it accepts are read and returned (up to 800 units are
   * scanned); skipped ones still advance `nextBeginOffset`, and a pull that matched none answers
   * NO_MATCHED_MESSAGE past them.
   */
  getMessage(
    _group: string,
    topic: string,
    queueId: number,
    offset: number,
    maxMsgNums: number,
    filter?: ConsumeQueueFilter,
  ): Promise<GetMessageResult> {
    return readQueueMessages(
      this.commitLog,
      this.consumeQueues.find(topic, queueId),
      offset,
      maxMsgNums,
      this.#pullLimits,
      filter,
    );
  }

  /**
   * The message stored at commit-log offset `phyOffset` (CRCs checked), or null when none starts
   * there (RocketMQ's lookMessageByOffset).
   */
  lookMessageByOffset(phyOffset: number): Promise<DecodedMessage | null>;
  /**
   * With `{ detail: true }`, what starts at `phyOffset`: a message (`kind: "MESSAGE"`, the decoded
   * message), the end-of-file blank record (`BLANK`, with where the next record starts), or
   * `INVALID` with why (not the start of a record, zeros, damage); null only when the offset lies
   * outside the readable log, [getMinPhyOffset(), getMaxPhyOffset()). See LookMessageResult.
   */
  lookMessageByOffset(
    phyOffset: number,
    options: { readonly detail: true },
  ): Promise<LookMessageResult | null>;
  async lookMessageByOffset(
    phyOffset: number,
    options?: { readonly detail: true },
  ): Promise<DecodedMessage | LookMessageResult | null> {
    const found = await lookMessageAt(this.commitLog, phyOffset);
    if (options?.detail === true) return found;
    return found?.kind === "MESSAGE" ? found : null;
  }

  /**
   * Up to `maxNum` (at most maxMsgsNumBatch) of the newest messages of `topic` with `key` among the
   * keys of their KEYS property, or as their UNIQ_KEY (the client's unique message id), stored in
   * [beginTimestamp, endTimestamp] (ms), in commit-log order (RocketMQ's queryMessage). Every record
   * is read back and checked, so a hash collision or an entry indexed twice never shows. Empty when
   * messageIndexEnable is false. A message is found once it was dispatched (see dispatchBehindBytes).
   */
  queryMessage(
    topic: string,
    key: string,
    maxNum: number,
    beginTimestamp: number,
    endTimestamp: number,
  ): Promise<QueryMessageResult> {
    const limited = Math.min(maxNum, this.config.maxMsgsNumBatch);
    return queryMessages(this.commitLog, this.indexService, {
      topic,
      key,
      maxNum: limited,
      begin: beginTimestamp,
      end: endTimestamp,
    });
  }

  /**
   * Every consume queue the store holds, as `{ topic, queueId }`, sorted by topic and then queue id
   * (a queue exists once a message was dispatched to it, or its files were found at open).
   */
  listTopicQueues(): TopicQueue[] {
    const list: TopicQueue[] = [];
    for (const topic of this.consumeQueues.topics().sort()) {
      for (const queueId of this.consumeQueues.queueIds(topic)) list.push({ topic, queueId });
    }
    return list;
  }

  /** Store time of the record at `phyOffset` (size bytes long), ms; -1 when it cannot be read. */
  async getStoreTimestamp(phyOffset: number, size: number): Promise<number> {
    if (phyOffset < this.commitLog.getMinOffset()) return -1;
    const data = await this.commitLog.getMessage(phyOffset, size);
    if (data === null) return -1;
    data.release();
    const buffer = data.buffer;
    return Number(
      buffer.readBigInt64BE(storeTimestampPosition(buffer.readInt32BE(SYSFLAG_POSITION))),
    );
  }

  /** One past the last queue offset (0 when the queue was never written). */
  getMaxOffsetInQueue(topic: string, queueId: number): number {
    return this.consumeQueues.find(topic, queueId)?.getMaxOffsetInQueue() ?? 0;
  }

  /** First queue offset still stored. */
  getMinOffsetInQueue(topic: string, queueId: number): number {
    return this.consumeQueues.find(topic, queueId)?.getMinOffsetInQueue() ?? 0;
  }

  /**
   * The first queue offset whose message was stored at or after `timestamp` (ms); the max offset
   * when every message is older; the min offset when every message is newer.
   */
  async getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): Promise<number> {
    const queue = this.consumeQueues.find(topic, queueId);
    if (queue === undefined) return 0;
    let low = queue.getMinOffsetInQueue();
    let high = queue.getMaxOffsetInQueue();
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const unit = await queue.getUnit(middle);
      const stored = unit === null ? -1 : await this.getStoreTimestamp(unit.offset, unit.size);
      if (stored >= 0 && stored < timestamp) low = middle + 1;
      else if (stored < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Commit-log offset just past the last readable byte, bytes (0 when empty). */
  getMaxPhyOffset(): number {
    return this.commitLog.getMaxOffset();
  }

  /** Commit-log offset of the first byte still stored, bytes (-1 when empty). */
  getMinPhyOffset(): number {
    return this.commitLog.getMinOffset();
  }

  /** Commit-log bytes not yet in the consume queues. */
  dispatchBehindBytes(): number {
    return this.#parts.reput.behind();
  }

  /**
   * Read-your-writes: resolves once the consume queues hold every record below `offset` (a commit-log
   * offset, bytes), so `getMessage` and `queryMessage` return them. Pass the end of a put,
   * `appendResult.wroteOffset + appendResult.wroteBytes`. Resolves at once when dispatch is there.
   * In pool mode a record is dispatched once committed (`commitIntervalCommitLog`).
   * @throws StoreError BAD_ARGUMENT (offset not an integer in `[0, end of the log]`), DISPATCH_TIMEOUT
   *   (`timeoutMs` passed), BUSY (MAX_DISPATCH_WAITERS callers wait already), STORE_CLOSED (the store
   *   shut down or halted before dispatch got there).
   */
  waitForDispatch(offset: number, options: WaitForDispatchOptions = {}): Promise<void> {
    const end = this.commitLog.mappedFileQueue.getMaxWrotePosition();
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > end) {
      const error = new StoreError<CommitLogErrorCode>(
        "BAD_ARGUMENT",
        `waitForDispatch(${offset}): expected an integer offset in [0, ${end}]`,
      );
      return Promise.reject(error);
    }
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(
        new StoreError<CommitLogErrorCode>(
          "BAD_ARGUMENT",
          `waitForDispatch: timeoutMs ${timeoutMs} must be ≥ 0`,
        ),
      );
    }
    this.#parts.dispatchWaiters.advance(this.#parts.reput.reputFromOffset);
    const timeoutError = () =>
      new StoreError<CommitLogErrorCode>(
        "DISPATCH_TIMEOUT",
        `dispatch did not reach offset ${offset} within ${timeoutMs} ms (at ${this.#parts.reput.reputFromOffset})`,
      );
    return this.#parts.dispatchWaiters.wait(offset, timeoutMs, timeoutError);
  }

  #closeDispatchWaiters(how: string): void {
    this.#parts.dispatchWaiters.advance(this.#parts.reput.reputFromOffset);
    this.#parts.dispatchWaiters.close(
      new StoreError<CommitLogErrorCode>(
        "STORE_CLOSED",
        `the store was ${how} before dispatch reached the offset`,
      ),
    );
  }

  /**
   * Calls `listener(topic, queueId, maxOffset)` whenever new messages reach a consume queue (the
   * broker's long polling waits on it). Returns a function that unsubscribes.
   */
  onMessageDispatched(listener: DispatchListener): () => void {
    return this.#parts.events.onDispatched(listener);
  }

  /** Whether `shutdown()` has begun. */
  get isShutdown(): boolean {
    return this.#state !== "running";
  }

  /**
   * Stops taking puts, flushes everything (commit log, consume queues, checkpoint), and removes the
   * `abort` file when the log is fully dispatched and healthy, so the next open recovers normally.
   * Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "stopping";
    this.#clock.clearTimeout(this.#cleanTimer ?? undefined);
    const { reput, flushQueues, allocate } = this.#parts;
    const writable = this.commitLog.notWritableReason === null;
    await this.commitLog.shutdown();
    await reput.shutdown();
    this.#closeDispatchWaiters("shut down");
    await flushQueues.shutdown();
    // A clean open trusts every unit on disk (DISPATCH_RULES.CLEAN_SHUTDOWN): keep `abort` unless they all are.
    const queuesFlushed = await flushQueues.doFlush(true).then(
      () => true,
      (error: unknown) => (
        this.#logger.error({ err: error }, "final consume-queue flush failed"),
        false
      ),
    );
    await allocate.shutdown();
    // A flush that failed before or during the final drain poisons its file: keep `abort` then.
    // An index whose last flush failed may have slot pages newer than its header: keep `abort` then too.
    const indexSound = this.indexService?.failure == null;
    const healthy =
      writable &&
      queuesFlushed &&
      indexSound &&
      !this.commitLog.mappedFileQueue.getLastMappedFile()?.flushError &&
      reput.behind() === 0;
    await this.checkpoint
      .shutdown()
      .catch((error: unknown) => this.#logger.error({ err: error }, "checkpoint flush failed"));
    await this.commitLog.mappedFileQueue.shutdown(0);
    await this.consumeQueues.shutdown();
    await this.indexService?.shutdown();
    if (healthy) await this.#removeAbortFile();
    else this.#logger.warn("abort file kept: the next open recovers abnormally");
    this.#parts.pool?.destroy();
    await this.#lock.release();
    this.#state = "stopped";
  }

  /**
   * Stops every background task at once without flushing, checkpointing or removing `abort`: what a
   * kill -9 leaves behind. For crash tests: cut power (or crash the process) on the simulated disk
   * first, so the stopping services can no longer write, then halt and reopen.
   */
  async halt(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    this.#clock.clearTimeout(this.#cleanTimer ?? undefined);
    this.commitLog.markNotWritable("halted");
    this.#lock.abandon();
    const { reput, flushQueues, allocate } = this.#parts;
    reput.makeStop();
    flushQueues.makeStop();
    this.indexService?.halt();
    this.#closeDispatchWaiters("halted");
    await Promise.allSettled([
      this.commitLog.halt(),
      reput.shutdown(),
      flushQueues.shutdown(),
      allocate.shutdown(),
    ]);
  }
}
