import { join } from "node:path";
import { AllocateMappedFileService, MappedFileQueue } from "@store/file-queue";
import { FlushManager } from "@store/flush-services";
import type { Clock, FileIO } from "@store/mapped-file";
import { TransientStorePool } from "@store/mapped-file";
import type { Logger } from "pino";
import { AppendedUnits } from "./appended-units.js";
import { CleanCommitLogService } from "./clean-commit-log-service.js";
import { ENCODER_BUFFER_HEADROOM, MESSAGE_FIXED_LENGTH } from "@store/message-codec";
import { CommitLog } from "./commit-log.js";
import { DispatchWaiters } from "./dispatch-waiters.js";
import { ConsumeQueueTable } from "./consume-queue-table.js";
import { FlushConsumeQueueService } from "./flush-consume-queue-service.js";
import { IndexService } from "./index-service.js";
import type { MessageStoreConfig } from "./message-store-config.js";
import { ReputMessageService } from "./reput-message-service.js";
import type { StoreCheckpoint } from "./store-checkpoint.js";
import { StoreEvents } from "./store-events.js";

/** What the store's parts are built from (the directories exist; the checkpoint is open). */
export interface StoreAssemblyInput {
  readonly config: MessageStoreConfig;
  readonly io: FileIO;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly checkpoint: StoreCheckpoint;
  /** Used share (0..1) of the disk holding a path; default statfs. */
  readonly diskUsage?: (path: string) => Promise<number>;
}

/**
 * Every part of a message store, built once and wired together by {@link assembleStore}: nothing is
 * created or rewired elsewhere. Files are not loaded and no service is started yet.
 */
export interface StoreAssembly {
  /** The transient store pool (transientStorePoolEnable), initialised; null without. */
  readonly pool: TransientStorePool | null;
  /** Creates the next commit-log file ahead of need. */
  readonly allocate: AllocateMappedFileService;
  readonly commitLog: CommitLog;
  /** The observer of the commit log, its flushes and its dispatch. */
  readonly events: StoreEvents;
  readonly consumeQueues: ConsumeQueueTable;
  /** The message index; null when messageIndexEnable is false. */
  readonly index: IndexService | null;
  /** Dispatch: commit log to consume queues (and the index). */
  readonly reput: ReputMessageService;
  /** Callers of `MessageStore.waitForDispatch`, released as dispatch advances. */
  readonly dispatchWaiters: DispatchWaiters;
  /** Flushes the consume queues and writes the checkpoint. */
  readonly flushQueues: FlushConsumeQueueService;
  readonly clean: CleanCommitLogService;
}

/** Largest record for a body limit: body + topic + properties + header + IPv6 hosts. */
export function maxRecordBytes(maxMessageSize: number): number {
  return maxMessageSize + ENCODER_BUFFER_HEADROOM + MESSAGE_FIXED_LENGTH + 1024;
}

/**
 * The store's composition root: builds the transient store pool, the
 * allocator, the commit-log file queue, the flush manager, the commit log, the consume queues, the
 * message index, dispatch, consume-queue flushing and cleanup, and wires their events through one
 * StoreEvents. `MessageStore.open` calls it.
 */
export function assembleStore(input: StoreAssemblyInput): StoreAssembly {
  const { config, logger, clock } = input;
  // Dispatch wakes on appends and commits; it is built after the commit log that tells of them.
  let reput: ReputMessageService | null = null;
  const events = new StoreEvents({
    wakeDispatch: () => reput?.wakeup(),
    checkpoint: input.checkpoint,
    logger,
  });
  const pool = buildPool(config);
  const allocate = new AllocateMappedFileService({
    io: input.io,
    transientStorePool: pool,
    fastFailIfNoBufferInStorePool: config.fastFailIfNoBufferInStorePool,
    preallocation: config.preallocation,
    // Sparse files cost no disk up front: keep two ready, so a fast writer never waits for one.
    filesAhead: config.preallocation === "sparse" ? 2 : 1,
    // A zero-filled segment is in the page cache once created: only sparse ones need the pass.
    warmPageCache: config.warmMapedFileEnable && config.preallocation === "sparse",
    clock,
  });
  const index = config.messageIndexEnable
    ? new IndexService({
        storePath: join(config.storePathRootDir, "index"),
        geometry: { hashSlotNum: config.maxHashSlotNum, indexNum: config.maxIndexNum },
        io: input.io,
        clock,
        logger,
      })
    : null;
  // Single puts hand the dispatcher their consume-queue units (it then reads nothing back).
  const appendedUnits = new AppendedUnits();
  const commitLog = buildCommitLog(input, {
    pool,
    allocate,
    events,
    appendedUnits,
    indexed: index !== null,
  });
  const consumeQueues = new ConsumeQueueTable({
    rootDir: join(config.storePathRootDir, "consumequeue"),
    mappedFileSize: config.mappedFileSizeConsumeQueue,
    io: input.io,
    logger,
  });
  const dispatchWaiters = new DispatchWaiters({ clock });
  reput = new ReputMessageService(commitLog, consumeQueues, {
    onProgress: (reputFromOffset) => dispatchWaiters.advance(reputFromOffset),
    logger,
    clock,
    appendedUnits,
    maxRecordBytes: maxRecordBytes(config.maxMessageSize),
    events,
    index,
  });
  const { flushQueues, clean } = buildHousekeeping(input, {
    commitLog,
    consumeQueues,
    events,
    index,
  });
  return {
    pool,
    allocate,
    commitLog,
    events,
    consumeQueues,
    index,
    reput,
    dispatchWaiters,
    flushQueues,
    clean,
  };
}

/** The transient store pool (transientStorePoolEnable), its buffers allocated; null without. */
function buildPool(config: MessageStoreConfig): TransientStorePool | null {
  if (!config.transientStorePoolEnable) return null;
  const pool = new TransientStorePool(
    config.transientStorePoolSize,
    config.mappedFileSizeCommitLog,
  );
  pool.init();
  return pool;
}

/** The commit log over its file queue and flush manager. */
function buildCommitLog(
  input: StoreAssemblyInput,
  parts: {
    pool: TransientStorePool | null;
    allocate: AllocateMappedFileService;
    events: StoreEvents;
    appendedUnits: AppendedUnits;
    indexed: boolean;
  },
): CommitLog {
  const { config, logger, clock, io } = input;
  const { events } = parts;
  const mappedFileQueue = new MappedFileQueue({
    storePath: join(config.storePathRootDir, "commitlog"),
    mappedFileSize: config.mappedFileSizeCommitLog,
    transientStorePool: parts.pool,
    allocateService: parts.allocate,
    io,
    preallocation: config.preallocation,
  });
  const flushManager = new FlushManager(mappedFileQueue, config, {
    clock,
    logger,
    mappedFileSize: config.mappedFileSizeCommitLog,
    onFlushed: (storeTimestamp) => events.flushed(storeTimestamp),
    // With a pool a put is readable only once committed: dispatch then, not at the next idle round.
    onCommitted: () => events.committed(),
  });
  return new CommitLog({
    mappedFileQueue,
    flushManager,
    maxMessageSize: config.maxMessageSize,
    storeHost: config.storeHost,
    logger,
    events,
    appendedUnits: parts.appendedUnits,
    recordIndexKeys: parts.indexed,
    clock,
    appendPropCRC: config.enabledAppendPropCRC,
  });
}

/** Consume-queue flushing (with the index's) and expired-file cleanup. */
function buildHousekeeping(
  input: StoreAssemblyInput,
  parts: {
    commitLog: CommitLog;
    consumeQueues: ConsumeQueueTable;
    events: StoreEvents;
    index: IndexService | null;
  },
): Pick<StoreAssembly, "flushQueues" | "clean"> {
  const { config, logger, clock } = input;
  const { index, events } = parts;
  const flushQueues = new FlushConsumeQueueService(parts.consumeQueues, input.checkpoint, {
    logger,
    clock,
    intervalMs: config.flushIntervalConsumeQueue,
    leastPages: config.flushConsumeQueueLeastPages,
    thoroughIntervalMs: config.flushConsumeQueueThoroughInterval,
    lastDispatchedTimestamp: () => events.lastDispatchedTimestamp,
    flushIndex: index === null ? undefined : () => index.flush(),
  });
  const clean = new CleanCommitLogService(parts.commitLog, parts.consumeQueues, {
    fileReservedTimeHours: config.fileReservedTime,
    deleteWhen: config.deleteWhen,
    diskMaxUsedSpaceRatio: config.diskMaxUsedSpaceRatio,
    deleteFilesIntervalMs: config.deleteCommitLogFilesInterval,
    destroyIntervalForciblyMs: config.destroyMapedFileIntervalForcibly,
    logger,
    diskUsage: input.diskUsage,
    deleteExpiredIndexFiles:
      index === null ? undefined : (minOffset) => index.deleteExpiredFiles(minOffset),
  });
  return { flushQueues, clean };
}
