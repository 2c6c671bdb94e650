import type { Logger } from "pino";
import type { DispatchUnit } from "@store/message-codec";
import type { CommitLog } from "./commit-log.js";
import type { RecoveryReport } from "./commit-log-recovery.js";
import { recoverCommitLog, recoveryStartIndex } from "./commit-log-recovery.js";
import type { ConsumeQueueTable } from "./consume-queue-table.js";
import { indexLogRange } from "./index-catch-up.js";
import type { IndexRecoveryReport, IndexService } from "./index-service.js";
import type { QueueRecoveryReport, RecoveryCase, RecoveryPoints } from "./dispatch-plan.js";
import { DISPATCH_RULES, INDEX_RULE, keepUnitsBelow, recoveryCase, restartAt } from "./dispatch-plan.js";
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

/**
 * Recovers a loaded store: the commit log (cut at its first invalid record), then the consume queues
 * and dispatch by the decision table of dispatch-plan.ts. Ends with every record of the recovered log
 * indexed, every unit pointing at its record, and no queue with a gap. The message index follows
 * INDEX_RULE: cut back to the recovered log, then fed what it lacks before dispatch resumes.
 * @throws StoreError IO_ERROR / DISK_FULL when a cut cannot be made durable.
 */
export async function recoverStore(
  parts: StoreRecoveryParts,
  abortFileFound: boolean,
): Promise<{ log: RecoveryReport; queues: QueueRecoveryReport; index: IndexRecoveryReport | null }> {
  const { commitLog, consumeQueues } = parts;
  const files = commitLog.mappedFileQueue.mappedFiles;
  const startIndex = await recoveryStartIndex(files, abortFileFound, parts.checkpoint);
  const checkpointPoint = files[startIndex]?.fileFromOffset ?? 0;
  const initial = recoveryCase({ abortFileFound, queuesDamaged: false });
  const rule = DISPATCH_RULES[initial];
  const gapsBefore = consumeQueues.gapsFound;
  let kept: KeptUnits | null = null;
  if (rule.keepUnitsBelow === "CHECKPOINT_POINT") kept = await keepUnits(parts, keepUnitsBelow(rule, { logEnd: 0, checkpointPoint }));
  // After a crash the recovery scan indexes what it validates, as RocketMQ does: the log is read once.
  // If a unit cannot be written, or a queue shows a gap, it stops; the dispatcher (or a rebuild) follows.
  let indexedByScan = initial === "CRASH" && kept?.damaged !== true;
  const coveredAtOpen = parts.index?.coveredEnd ?? 0;
  let caughtUpBytes = 0;
  // The scan below feeds the index from checkpointPoint on: first give it what lies before.
  if (indexedByScan) caughtUpBytes += await catchUpIndex(parts, checkpointPoint);
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
      if (!indexedByScan) return;
      if (units.includes(null)) indexedByScan = false; // a unit the scan could not read: index from the log
      else if ((await parts.reput.dispatchUnits(units as DispatchUnit[], offsets)) !== null) indexedByScan = false;
      if (consumeQueues.gapsFound > gapsBefore) indexedByScan = false;
    },
  });
  if (rule.keepUnitsBelow === "RECOVERED_LOG_END") kept = await keepUnits(parts, keepUnitsBelow(rule, { logEnd: log.processOffset, checkpointPoint }));
  const points: RecoveryPoints = {
    logStart: Math.max(0, commitLog.getMinOffset()),
    logEnd: log.processOffset,
    checkpointPoint,
    highestUnitEnd: kept?.highestUnitEnd ?? -1,
  };
  let finalCase: RecoveryCase = initial;
  let restartedAt = indexedByScan ? log.processOffset : restartAt(rule, points);
  const truncated = (await parts.index?.truncateFrom(log.processOffset)) ?? { entries: 0, files: 0 };
  caughtUpBytes += await catchUpIndex(parts, restartedAt);
  if (kept?.damaged !== true && consumeQueues.gapsFound === gapsBefore) {
    parts.reput.reputFromOffset = restartedAt;
    await parts.reput.doReput();
  }
  const queuesDamaged = kept?.damaged === true || consumeQueues.gapsFound > gapsBefore;
  if (queuesDamaged) {
    finalCase = recoveryCase({ abortFileFound, queuesDamaged });
    restartedAt = restartAt(DISPATCH_RULES[finalCase], points);
    await rebuildQueues(parts, restartedAt);
  }
  const queues: QueueRecoveryReport = {
    case: finalCase,
    keptUnitsBelow: keepUnitsBelow(DISPATCH_RULES[finalCase], points),
    restartedAt,
    zeroedBytes: kept?.zeroedBytes ?? 0,
    mismatchedUnits: kept?.mismatchedUnits ?? 0,
    gapsFound: consumeQueues.gapsFound - gapsBefore,
  };
  parts.logger[queuesDamaged ? "warn" : "info"](queues, `consume queues recovered (${finalCase}): ${DISPATCH_RULES[finalCase].why}`);
  const index: IndexRecoveryReport | null =
    parts.index === null
      ? null
      : {
          filesLoaded: parts.indexLoad.loaded,
          filesDropped: parts.indexLoad.dropped + truncated.files,
          entriesTruncated: truncated.entries,
          coveredEnd: Math.min(coveredAtOpen, log.processOffset),
          caughtUpBytes,
        };
  if (index !== null) parts.logger.info(index, `message index recovered: ${INDEX_RULE.why}`);
  return { log, queues, index };
}

/** Feeds the index the log from where it ends to `to`, when it ends before; returns bytes read. */
async function catchUpIndex(parts: StoreRecoveryParts, to: number): Promise<number> {
  const index = parts.index;
  if (index === null || index.coveredEnd >= to) return 0;
  parts.logger.info({ from: index.coveredEnd, to }, "indexing the commit log the durable message index lacks");
  return indexLogRange(parts.commitLog, index, index.coveredEnd, to, parts.maxRecordBytes);
}

/**
 * Keeps the units whose records lie below `below` and cuts the rest durably, unless a kept-looking
 * unit does not match its record: then nothing is cut here (the queues are rebuilt).
 */
async function keepUnits(parts: StoreRecoveryParts, below: number): Promise<KeptUnits> {
  const scans = await parts.consumeQueues.scanForRecovery(below, unitMatchesRecord(parts.commitLog));
  let mismatchedUnits = 0;
  for (const scan of scans.values()) mismatchedUnits += scan.mismatched;
  if (mismatchedUnits > 0) return { damaged: true, highestUnitEnd: -1, zeroedBytes: 0, mismatchedUnits };
  const cut = await parts.consumeQueues.cutAt(scans);
  return { damaged: false, highestUnitEnd: cut.highestRecordEnd, zeroedBytes: cut.zeroedBytes, mismatchedUnits };
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
  parts.reput.reputFromOffset = from;
  await parts.reput.doReput();
}
