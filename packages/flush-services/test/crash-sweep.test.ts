// DESIGN §1 promises under a crash at every moment: the real MappedFileQueue over SimulatedDisk, with
// the disk cut (power) or the process killed just before the N-th I/O call, for N over the whole run.
import { describe, expect, it } from "vitest";
import type { FlushConfigInput } from "../src/flush-config.js";
import { FlushManager } from "../src/flush-manager.js";
import type { Crash, SimStore } from "./sim-store.js";
import { appendRecord, holds, recordBytes, simStore } from "./sim-store.js";

const FILE_SIZE = 8192;

interface Strategy {
  readonly name: string;
  readonly pool: boolean;
  readonly config: FlushConfigInput;
}

const strategies: readonly Strategy[] = [
  {
    name: "SYNC_FLUSH",
    pool: false,
    config: { flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 50 },
  },
  {
    name: "SYNC_FLUSH + pool",
    pool: true,
    config: { flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 50, transientStorePoolEnable: true },
  },
  {
    name: "ASYNC_FLUSH",
    pool: false,
    config: {
      flushIntervalCommitLog: 1,
      flushCommitLogLeastPages: 1,
      flushCommitLogThoroughInterval: 4,
    },
  },
  {
    name: "ASYNC_FLUSH + pool",
    pool: true,
    config: {
      transientStorePoolEnable: true,
      flushIntervalCommitLog: 1,
      flushCommitLogLeastPages: 1,
      flushCommitLogThoroughInterval: 4,
      commitIntervalCommitLog: 1,
      commitCommitLogLeastPages: 1,
      commitCommitLogThoroughInterval: 3,
    },
  },
];

interface Outcome {
  readonly ops: number;
  readonly acked: number;
  readonly problems: string[];
}

/** Four writers append records of varied sizes (rolling over files); SYNC writers await each ack. */
async function runScenario(strategy: Strategy, cutAt: number, crash: Crash): Promise<Outcome> {
  const store = simStore({ fileSize: FILE_SIZE, pool: strategy.pool });
  store.io.cutAt = cutAt;
  store.io.crash = crash;
  const manager = new FlushManager(store.queue, strategy.config);
  const sync = strategy.config.flushDiskType === "SYNC_FLUSH";
  const problems: string[] = [];
  const acked: [number, number][] = [];
  const appended: [number, number][] = [];
  let sequence = 0;
  manager.start();
  const writer = async (id: number): Promise<void> => {
    for (let i = 0; i < 12; i++) {
      const size = 200 + ((id * 977 + i * 613) % 2400);
      const next = await appendRecord(store, recordBytes(sequence++, size));
      if (next === null) return;
      appended.push([next - size, next]);
      const status = await manager.handleDiskFlush(next, true);
      if (status !== "PUT_OK") return; // a producer stops at the first FLUSH_DISK_TIMEOUT
      if (sync) {
        if (!holds(store, next - size, next, "durable"))
          problems.push(`PUT_OK for [${next - size}, ${next}) before it was durable`);
        acked.push([next - size, next]);
      }
      if (!sync && i % 3 === 2) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  await Promise.all([0, 1, 2, 3].map(writer));
  await manager.shutdown();
  checkPromises(store, strategy, crash, { acked, appended, problems });
  return { ops: store.io.ops, acked: acked.length, problems };
}

/** The DESIGN §1 table, checked against the disk after the crash. */
function checkPromises(
  store: SimStore,
  strategy: Strategy,
  crash: Crash,
  seen: { acked: [number, number][]; appended: [number, number][]; problems: string[] },
): void {
  const { queue } = store;
  for (const [from, to] of seen.acked) {
    if (!holds(store, from, to, "durable"))
      seen.problems.push(`acknowledged [${from}, ${to}) lost`);
  }
  if (!holds(store, 0, queue.flushedWhere, "durable"))
    seen.problems.push(`flushed prefix [0, ${queue.flushedWhere}) not durable`);
  if (crash === "processCrash") {
    if (!holds(store, 0, queue.committedWhere, "current"))
      seen.problems.push(`committed prefix [0, ${queue.committedWhere}) lost in a kill`);
    if (!strategy.pool) {
      for (const [from, to] of seen.appended) {
        if (!holds(store, from, to, "current"))
          seen.problems.push(`appended [${from}, ${to}) lost in a kill without a pool`);
      }
    }
  }
}

/** About `samples` cut points spread evenly over a run of `totalOps` I/O calls (plus one past its end). */
function cutPoints(totalOps: number, samples: number): number[] {
  const step = Math.max(1, Math.floor(totalOps / samples));
  const points: number[] = [];
  for (let at = 1; at <= totalOps + 1; at += step) points.push(at);
  return points;
}

/** Runs the scenario with a crash at each cut point; returns every broken promise. */
async function sweep(
  strategy: Strategy,
  crash: Crash,
  samples: number,
): Promise<{ ops: number; runs: number; problems: string[] }> {
  const { ops } = await runScenario(strategy, Number.POSITIVE_INFINITY, crash);
  const problems: string[] = [];
  const points = cutPoints(ops, samples);
  for (const cutAt of points) {
    const outcome = await runScenario(strategy, cutAt, crash);
    problems.push(
      ...outcome.problems.map(
        (p) => `${strategy.name}, ${crash} at I/O call ${cutAt}/${ops}: ${p}`,
      ),
    );
  }
  return { ops, runs: points.length, problems };
}

describe("crash at any moment (MappedFileQueue over SimulatedDisk)", () => {
  for (const strategy of strategies) {
    it(`${strategy.name}: a run without a crash keeps every promise and acknowledges everything`, async () => {
      const outcome = await runScenario(strategy, Number.POSITIVE_INFINITY, "powerCut");
      expect(outcome.problems).toEqual([]);
      if (strategy.config.flushDiskType === "SYNC_FLUSH") expect(outcome.acked).toBe(48);
    });

    for (const crash of ["powerCut", "processCrash"] as const) {
      it(`${strategy.name}: ${crash} at sampled I/O calls loses nothing DESIGN §1 promises`, async () => {
        const { problems } = await sweep(strategy, crash, 10);
        expect(problems).toEqual([]);
      });
    }
  }

  it(
    "every strategy, power cut and process crash at every I/O call",
    { tags: ["slow"] },
    async () => {
      const problems: string[] = [];
      for (const strategy of strategies) {
        for (const crash of ["powerCut", "processCrash"] as const) {
          problems.push(...(await sweep(strategy, crash, Number.POSITIVE_INFINITY)).problems);
        }
      }
      expect(problems).toEqual([]);
    },
  );
});
