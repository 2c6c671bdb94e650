/**
 * What recovery keeps of the consume queues and where dispatch restarts, as a decision table: one row
 * per case, each with the reason it is safe. `MessageStore.open` follows it; `store.queueRecovery`
 * reports the row taken.
 */
import { StoreError } from "@store/mapped-file";

/** The rows of {@link DISPATCH_RULES}. */
export type RecoveryCase = "CLEAN_SHUTDOWN" | "CRASH" | "QUEUES_DAMAGED";

/** One row: which units survive recovery (where dispatch then starts: {@link FIRST_DISPATCH_OFFSET}). */
export interface DispatchRule {
  /**
   * Units kept: those whose record lies wholly below this commit-log point, read back as sound (and,
   * for the last ones, as matching their records). The rest are cut durably (zeroed and fdatasync'd,
   * later files deleted) before anything is dispatched.
   * - RECOVERED_LOG_END: where the commit log's recovery ended.
   * - CHECKPOINT_POINT: the start of the newest commit-log file whose first record is older than the
   *   checkpoint's minimum timestamp (where a crash recovery starts validating); the log start when
   *   no file is.
   * - NONE: every queue is deleted and rebuilt.
   */
  readonly keepUnitsBelow: "RECOVERED_LOG_END" | "CHECKPOINT_POINT" | "NONE";
  /** Why the kept units can be trusted and nothing is missed. */
  readonly why: string;
}

/** Where dispatch restarts at open, per recovery case, and why (the decision table recovery follows). */
export const DISPATCH_RULES: Readonly<Record<RecoveryCase, DispatchRule>> = {
  CLEAN_SHUTDOWN: {
    keepUnitsBelow: "RECOVERED_LOG_END",
    why:
      "no abort file: shutdown dispatched the whole log, flushed every queue and removed `abort` only " +
      "then, so every unit on disk is durable; only a log damaged since can end before some of them",
  },
  CRASH: {
    keepUnitsBelow: "CHECKPOINT_POINT",
    why:
      "the checkpoint's logics time is written only after a flush of every queue to its end, and a queue's " +
      "directories and files are durable before its units are written: units of records older than it are " +
      "on disk. Units of newer records may be missing, torn or left over from before an earlier cut, so they " +
      "are cut and those records indexed again",
  },
  QUEUES_DAMAGED: {
    keepUnitsBelow: "NONE",
    why:
      "a kept unit did not match its record, or a dispatched record's queue offset lay past its queue's end: " +
      "units the checkpoint promised are wrong or gone (files or directories lost or damaged), so no queue " +
      "can be trusted; the checkpoint's logics time is cleared first (a crash meanwhile rebuilds again)",
  },
};

/**
 * The message index in every row: its files say how far it is durable (a file's header is written
 * only after the entries and slots it counts are fdatasync'd, its covered end after every record
 * below it was indexed). Recovery keeps the entries of records below the recovered log's end and
 * cuts the rest; the index then resumes at its covered end: the log between there and where
 * dispatch restarts is read once more for the index alone, and records dispatched again are skipped
 * as indexed (by offset), so no entry is made twice. The checkpoint's indexMsgTimestamp is written
 * after each index flush, so it never claims more than the files hold.
 */
export const INDEX_RULE = {
  keepEntriesBelow: "RECOVERED_LOG_END",
  resumeAt: "INDEX_COVERED_END",
  why:
    "index headers count only entries fdatasync'd before them: entries of records below the recovered " +
    "log end are kept, later ones cut; the log from the covered end on is indexed again, each record once",
} as const;

/** What decides the row. */
export interface RecoveryFacts {
  /** The `abort` file was there at open: the last run did not shut down cleanly. */
  readonly abortFileFound: boolean;
  /** A kept unit did not match its record, or dispatch found a gap in a queue. */
  readonly queuesDamaged: boolean;
}

/** Picks the row for `facts`. */
export function recoveryCase(facts: RecoveryFacts): RecoveryCase {
  if (facts.queuesDamaged) return "QUEUES_DAMAGED";
  return facts.abortFileFound ? "CRASH" : "CLEAN_SHUTDOWN";
}

/** The commit-log offsets a row's points stand for. */
export interface RecoveryPoints {
  /** The commit log's min offset (0 when empty). */
  readonly logStart: number;
  /** Where the commit log's recovery ended. */
  readonly logEnd: number;
  /** See DispatchRule.keepUnitsBelow. */
  readonly checkpointPoint: number;
  /** End of the highest kept unit's record; -1 when none. */
  readonly highestUnitEnd: number;
}

/** The commit-log offset below which units are kept (-Infinity: none). */
export function keepUnitsBelow(
  rule: DispatchRule,
  points: Pick<RecoveryPoints, "logEnd" | "checkpointPoint">,
): number {
  switch (rule.keepUnitsBelow) {
    case "RECOVERED_LOG_END":
      return points.logEnd;
    case "CHECKPOINT_POINT":
      return points.checkpointPoint;
    case "NONE":
      return Number.NEGATIVE_INFINITY;
  }
}

/**
 * Where dispatch starts after recovery, resolved by {@link firstDispatchOffset}:
 * - END_OF_HIGHEST_UNIT: the end of the highest kept unit's record (the log start when no unit is
 *   kept), at most the log end (RocketMQ's normal recovery).
 * - RECOVERED_LOG_END: where the commit log's recovery ended.
 * - CHECKPOINT_POINT: see DispatchRule.keepUnitsBelow.
 * - LOG_START: the commit log's first record.
 */
export type DispatchStart =
  "END_OF_HIGHEST_UNIT" | "RECOVERED_LOG_END" | "CHECKPOINT_POINT" | "LOG_START";

/** One row of {@link FIRST_DISPATCH_OFFSET}. */
export interface FirstDispatchRow {
  /** The recovery case (a row of DISPATCH_RULES). */
  readonly case: RecoveryCase;
  /**
   * Whether the crash recovery's scan dispatched every record it validated (it dispatches only in
   * the CRASH case, and stops at a unit it cannot read or write, or at a gap in a queue).
   */
  readonly scanDispatchedAll: boolean;
  readonly start: DispatchStart;
  /** Why no record below the start lacks its unit, and none past it has one. */
  readonly why: string;
}

/**
 * The first commit-log offset dispatched after recovery, as a decision table: one row per case and
 * per outcome of the crash recovery's scan. `MessageStore.open` follows it; `store.queueRecovery`
 * reports the start taken (`dispatchStart`) and the offset (`restartedAt`).
 */
export const FIRST_DISPATCH_OFFSET: readonly FirstDispatchRow[] = [
  {
    case: "CLEAN_SHUTDOWN",
    scanDispatchedAll: false,
    start: "END_OF_HIGHEST_UNIT",
    why: "every kept unit is durable and the log was dispatched in order: records past the highest unit's end lack units",
  },
  {
    case: "CRASH",
    scanDispatchedAll: true,
    start: "RECOVERED_LOG_END",
    why: "the recovery scan dispatched each record it validated from the checkpoint point to the recovered log end",
  },
  {
    case: "CRASH",
    scanDispatchedAll: false,
    start: "CHECKPOINT_POINT",
    why: "units past the checkpoint point were cut and the scan did not finish dispatching: index those records again",
  },
  {
    case: "QUEUES_DAMAGED",
    scanDispatchedAll: false,
    start: "LOG_START",
    why: "every queue was deleted: the whole log is dispatched again",
  },
];

/** What decides the row of {@link FIRST_DISPATCH_OFFSET}. */
export interface FirstDispatchFacts {
  readonly case: RecoveryCase;
  /** See FirstDispatchRow.scanDispatchedAll; only the CRASH case reads it. */
  readonly scanDispatchedAll: boolean;
}

/** Picks the row of {@link FIRST_DISPATCH_OFFSET} for `facts`. */
export function firstDispatchRow(facts: FirstDispatchFacts): FirstDispatchRow {
  const scanned = facts.case === "CRASH" && facts.scanDispatchedAll;
  const row = FIRST_DISPATCH_OFFSET.find(
    (r) => r.case === facts.case && r.scanDispatchedAll === scanned,
  );
  if (row === undefined)
    throw new StoreError("BAD_ARGUMENT", `FIRST_DISPATCH_OFFSET has no row for ${facts.case}`);
  return row;
}

/** The commit-log offset dispatch starts at after recovery, by {@link FIRST_DISPATCH_OFFSET}. */
export function firstDispatchOffset(
  facts: FirstDispatchFacts,
  points: RecoveryPoints,
): { row: FirstDispatchRow; offset: number } {
  const row = firstDispatchRow(facts);
  return { row, offset: dispatchStartOffset(row.start, points) };
}

function dispatchStartOffset(start: DispatchStart, points: RecoveryPoints): number {
  switch (start) {
    case "END_OF_HIGHEST_UNIT":
      return points.highestUnitEnd < 0
        ? points.logStart
        : Math.max(points.logStart, Math.min(points.highestUnitEnd, points.logEnd));
    case "RECOVERED_LOG_END":
      return points.logEnd;
    case "CHECKPOINT_POINT":
      return points.checkpointPoint;
    case "LOG_START":
      return points.logStart;
  }
}

/** What the consume queues' part of recovery did (`MessageStore.queueRecovery`). */
export interface QueueRecoveryReport {
  /** The row of DISPATCH_RULES taken. */
  readonly case: RecoveryCase;
  /** Units whose records lie below this commit-log offset were kept (-Infinity: none). */
  readonly keptUnitsBelow: number;
  /** Where dispatch restarted, commit-log offset. */
  readonly restartedAt: number;
  /** The row of FIRST_DISPATCH_OFFSET that chose `restartedAt`. */
  readonly dispatchStart: DispatchStart;
  /** Consume-queue bytes zeroed by the cuts (units cut from files that stayed). */
  readonly zeroedBytes: number;
  /** Kept-looking units that did not match their records. */
  readonly mismatchedUnits: number;
  /** Units dispatched past their queue's end. */
  readonly gapsFound: number;
}
