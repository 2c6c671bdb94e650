/** The keys that choose the strategy, and the intervals its promise quotes. */
export interface StrategyKeys {
  readonly flushDiskType: "SYNC_FLUSH" | "ASYNC_FLUSH";
  readonly transientStorePoolEnable: boolean;
  readonly flushIntervalCommitLog: number;
  readonly flushCommitLogLeastPages: number;
  readonly commitIntervalCommitLog: number;
}

/** A flush strategy and what it promises (DESIGN §1). */
export interface FlushStrategy {
  /** `SYNC_FLUSH`, `ASYNC_FLUSH`, or `ASYNC_FLUSH + transientStorePool`. */
  readonly name: string;
  /** The store services that run it. */
  readonly services: readonly string[];
  /** When a send is acknowledged. */
  readonly acknowledgedWhen: string;
  /** What survives a process crash (kill -9). */
  readonly processCrash: string;
  /** What survives a power loss or kernel crash. */
  readonly powerLoss: string;
}

/**
 * The strategy that `flushDiskType` and `transientStorePoolEnable` select. Under SYNC_FLUSH the pool
 * changes nothing users see: the group commit writes the pooled bytes before each fdatasync.
 */
export function flushStrategy(config: StrategyKeys): FlushStrategy {
  const pages = `${config.flushCommitLogLeastPages} pages (${config.flushCommitLogLeastPages * 4} KiB)`;
  const asyncLoss = `up to ~${config.flushIntervalCommitLog} ms (flushIntervalCommitLog) plus writes below ${pages} may be lost`;
  if (config.flushDiskType === "SYNC_FLUSH") {
    return {
      name: "SYNC_FLUSH",
      services: config.transientStorePoolEnable
        ? ["GroupCommitService (commits the pool before each fdatasync)", "FlushDiskWatcher"]
        : ["GroupCommitService", "FlushDiskWatcher"],
      acknowledgedWhen: "an fdatasync covering the message has completed",
      processCrash: "nothing acknowledged is lost",
      powerLoss: "nothing acknowledged is lost",
    };
  }
  if (config.transientStorePoolEnable) {
    return {
      name: "ASYNC_FLUSH + transientStorePool",
      services: ["CommitRealTimeService", "FlushRealTimeService"],
      acknowledgedWhen: "the bytes are in a pooled in-process buffer",
      processCrash: `up to ~${config.commitIntervalCommitLog} ms (commitIntervalCommitLog) of acknowledged sends may be lost`,
      powerLoss: `${asyncLoss}, plus the commit lag`,
    };
  }
  return {
    name: "ASYNC_FLUSH",
    services: ["FlushRealTimeService"],
    acknowledgedWhen: "the bytes are in the OS page cache (written to the file)",
    processCrash: "nothing acknowledged is lost",
    powerLoss: asyncLoss,
  };
}

/** One line: "SYNC_FLUSH: acknowledged when ...; process crash: ...; power loss: ...". */
export function describePromise(strategy: FlushStrategy): string {
  const s = strategy;
  return `acknowledged when ${s.acknowledgedWhen}; process crash: ${s.processCrash}; power loss: ${s.powerLoss}`;
}
