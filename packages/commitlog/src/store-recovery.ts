import type { Logger } from "pino";
import type { DispatchUnit } from "@store/message-codec";
import type { CommitLog } from "./commit-log.js";
import type { RecoveryReport } from "./commit-log-recovery.js";
import { recoverCommitLog, recoveryStartIndex } from "./commit-log-recovery.js";
import type { ConsumeQueueTable } from "./consume-queue-table.js";
import { indexLogRange } from "./index-catch-up.js";
import type { IndexRecoveryReport, IndexService } from "./index-service.js";
import type { QueueRecoveryReport, RecoveryCase, RecoveryPoints } from "./dispatch-plan.js";
import {
  DISPATCH_RULES,
  INDEX_RULE,
  firstDispatchOffset,
  keepUnitsBelow,
  recoveryCase,
} from "./dispatch-plan.js";
import type { ReputMessageService } from "./reput-message-service.js";
import type { StoreCheckpoint } from "./store-checkpoint.js";
import { unitMatchesRecord } from "./unit-check.js";

/** What a store's recovery works on (MessageStore's parts, loaded, services not started). */
export interface StoreRecoveryParts {
  readonly commitLog: CommitLog;
  readonly consumeQueues: ConsumeQueueTable;
  readonly checkpoint: StoreCheckpoint;
  readonly reput: ReputMessageService;
  readonly logger: Logger;
  readonly checkCRC: boolean;
  /** Verify the whole-record CRC property where a record has one (see RecoverOptions). */
  readonly forceVerifyPropCRC: boolean;
  readonly maxRecordBytes: number;
  /** The message index, loaded (null when messageIndexEnable is false). */
  readonly index: IndexService | null;
  /** What loading the index found. */
  readonly indexLoad: { readonly loaded: number; readonly dropped: number };
}

interface KeptUnits {
  readonly damaged: boolean;
  readonly highestUnitEnd: number;
  readonly zeroedBytes: number;
  readonly mismatchedUnits: number;
}

/** What the commit log's part of recovery leaves for the queues' part. */
interface LogRecovered {
  readonly log: RecoveryReport;
  readonly initial: RecoveryCase;
  readonly checkpointPoint: number;
  /** Units kept by a CHECKPOINT_POINT row (null until the RECOVERED_LOG_END row has the log end). */
  readonly kept: KeptUnits | null;
  /** The crash recovery's scan dispatched every record it validated (see FIRST_DISPATCH_OFFSET). */
  readonly scanDispatchedAll: boolean;
  readonly caughtUpBytes: number;
}

/**
 * Recovers a loaded store: the commit log (cut at its first invalid record), then the consume queues
 * by the decision table DISPATCH_RULES, and dispatch from the offset FIRST_DISPATCH_OFFSET picks. Ends
 * with every record of the recovered log indexed, every unit pointing at its record, and no queue with
 * a gap. The message index follows INDEX_RULE: cut back to the recovered log, then fed what it lacks
 * before dispatch resumes.
 * @throws StoreError IO_ERROR / DISK_FULL when a cut cannot be made durable.
 */
export async function recoverStore(
  parts: StoreRecoveryParts,
  abortFileFound: boolean,
): Promise<{
  log: RecoveryReport;
  queues: QueueRecoveryReport;
  index: IndexRecoveryReport | null;
}> {
  const coveredAtOpen = parts.index?.coveredEnd ?? 0;
  const gapsBefore = parts.consumeQueues.gapsFound;
  const recovered = await recoverLog(parts, abortFileFound, gapsBefore);
  const { log } = recovered;
  const rule = DISPATCH_RULES[recovered.initial];
  const below = keepUnitsBelow(rule, {
    logEnd: log.processOffset,
    checkpointPoint: recovered.checkpointPoint,
  });
  const kept =
    recovered.kept ??
    (rule.keepUnitsBelow === "RECOVERED_LOG_END" ? await keepUnits(parts, below) : null);
  const points: RecoveryPoints = {
    logStart: Math.max(0, parts.commitLog.getMinOffset()),
    logEnd: log.processOffset,
    checkpointPoint: recovered.checkpointPoint,
    highestUnitEnd: kept?.highestUnitEnd ?? -1,
  };
  const truncated = (await parts.index?.truncateFrom(log.processOffset)) ?? {
    entries: 0,
    files: 0,
  };
  const dispatched = await dispatchRecovered(parts, recovered, kept, points, gapsBefore);
  const index: IndexRecoveryReport | null =
    parts.index === null
      ? null
      : {
          filesLoaded: parts.indexLoad.loaded,
          filesDropped: parts.indexLoad.dropped + truncated.files,
          entriesTruncated: truncated.entries,
          coveredEnd: Math.min(coveredAtOpen, log.processOffset),
          caughtUpBytes: recovered.caughtUpBytes + dispatched.caughtUpBytes,
        };
  if (index !== null) parts.logger.info(index, `message index recovered: ${INDEX_RULE.why}`);
  return { log, queues: dispatched.queues, index };
}

/**
 * The commit log's recovery. After a crash its scan dispatches (and indexes) what it validates, as
 * RocketMQ does: the log is read once. If a unit cannot be written, or a queue shows a gap, the scan
 * stops dispatching; the dispatcher (or a rebuild) follows.
 */
async function recoverLog(
  parts: StoreRecoveryParts,
  abortFileFound: boolean,
  gapsBefore: number,
): Promise<LogRecovered> {
  const { commitLog, consumeQueues } = parts;
  const files = commitLog.mappedFileQueue.mappedFiles;
  const startIndex = await recoveryStartIndex(files, abortFileFound, parts.checkpoint);
  const checkpointPoint = files[startIndex]?.fileFromOffset ?? 0;
  const initial = recoveryCase({ abortFileFound, queuesDamaged: false });
  const rule = DISPATCH_RULES[initial];
  const kept =
    rule.keepUnitsBelow === "CHECKPOINT_POINT"
      ? await keepUnits(parts, keepUnitsBelow(rule, { logEnd: 0, checkpointPoint }))
      : null;
  let scanning = initial === "CRASH" && kept?.damaged !== true;
  // The scan feeds the index from checkpointPoint on: first give it what lies before.
  const caughtUpBytes = scanning ? await catchUpIndex(parts, checkpointPoint) : 0;
  const log = await recoverCommitLog(commitLog, {
    abnormal: abortFileFound,
    startIndex,
    checkpoint: parts.checkpoint,
    checkCRC: parts.checkCRC,
    forceVerifyPropCRC: parts.forceVerifyPropCRC,
    maxRecordBytes: parts.maxRecordBytes,
    logger: parts.logger,
    withKeys: parts.index !== null,
    dispatch: async (units, offsets) => {
      if (!scanning) return;
      if (units.includes(null))
        scanning = false; // a unit the scan could not read: index from the log
      else if ((await parts.reput.dispatchUnits(units as DispatchUnit[], offsets)) !== null)
        scanning = false;
      if (consumeQueues.gapsFound > gapsBefore) scanning = false;
    },
  });
  return { log, initial, checkpointPoint, kept, scanDispatchedAll: scanning, caughtUpBytes };
}

/**
 * Dispatches the recovered log from the offset FIRST_DISPATCH_OFFSET picks; when a kept unit did not
 * match its record, or dispatch found a gap, rebuilds every queue (QUEUES_DAMAGED).
 */
async function dispatchRecovered(
  parts: StoreRecoveryParts,
  recovered: LogRecovered,
  kept: KeptUnits | null,
  points: RecoveryPoints,
  gapsBefore: number,
): Promise<{ queues: QueueRecoveryReport; caughtUpBytes: number }> {
  const { consumeQueues } = parts;
  let start = firstDispatchOffset(
    { case: recovered.initial, scanDispatchedAll: recovered.scanDispatchedAll },
    points,
  );
  const caughtUpBytes = await catchUpIndex(parts, start.offset);
  if (kept?.damaged !== true && consumeQueues.gapsFound === gapsBefore)
    await parts.reput.restartFrom(start.offset);
  const queuesDamaged = kept?.damaged === true || consumeQueues.gapsFound > gapsBefore;
  const finalCase = queuesDamaged
    ? recoveryCase({ abortFileFound: recovered.initial !== "CLEAN_SHUTDOWN", queuesDamaged })
    : recovered.initial;
  if (queuesDamaged) {
    start = firstDispatchOffset({ case: finalCase, scanDispatchedAll: false }, points);
    await rebuildQueues(parts, start.offset);
  }
  const queues: QueueRecoveryReport = {
    case: finalCase,
    keptUnitsBelow: keepUnitsBelow(DISPATCH_RULES[finalCase], points),
    restartedAt: start.offset,
    dispatchStart: start.row.start,
    zeroedBytes: kept?.zeroedBytes ?? 0,
    mismatchedUnits: kept?.mismatchedUnits ?? 0,
    gapsFound: consumeQueues.gapsFound - gapsBefore,
  };
  parts.logger[queuesDamaged ? "warn" : "info"](
    queues,
    `consume queues recovered (${finalCase}): ${DISPATCH_RULES[finalCase].why}`,
  );
  return { queues, caughtUpBytes };
}

/** Feeds the index the log from where it ends to `to`, when it ends before; returns bytes read. */
async function catchUpIndex(parts: StoreRecoveryParts, to: number): Promise<number> {
  const index = parts.index;
  if (index === null || index.coveredEnd >= to) return 0;
  parts.logger.info(
    { from: index.coveredEnd, to },
    "indexing the commit log the durable message index lacks",
  );
  return indexLogRange(parts.commitLog, index, index.coveredEnd, to, parts.maxRecordBytes);
}

/**
 * Keeps the units whose records lie below `below` and cuts the rest durably, unless a kept-looking
 * unit does not match its record: then nothing is cut here (the queues are rebuilt).
 */
async function keepUnits(parts: StoreRecoveryParts, below: number): Promise<KeptUnits> {
  const scans = await parts.consumeQueues.scanForRecovery(
    below,
    unitMatchesRecord(parts.commitLog),
  );
  let mismatchedUnits = 0;
  for (const scan of scans.values()) mismatchedUnits += scan.mismatched;
  if (mismatchedUnits > 0)
    return { damaged: true, highestUnitEnd: -1, zeroedBytes: 0, mismatchedUnits };
  const cut = await parts.consumeQueues.cutAt(scans);
  return {
    damaged: false,
    highestUnitEnd: cut.highestRecordEnd,
    zeroedBytes: cut.zeroedBytes,
    mismatchedUnits,
  };
}

/**
 * Deletes every consume queue and indexes the log again from `from`. The checkpoint's logics time is
 * cleared durably first: it promised units that are now gone, and a crash during the rebuild must
 * lead the next recovery to the start of the log, not to the checkpoint.
 */
async function rebuildQueues(parts: StoreRecoveryParts, from: number): Promise<void> {
  parts.checkpoint.logicsMsgTimestamp = 0;
  await parts.checkpoint.flush();
  await parts.consumeQueues.destroy();
  await parts.reput.restartFrom(from);
}
