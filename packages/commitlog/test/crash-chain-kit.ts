import type { DiskCall, PowerCutOptions } from "@store/mapped-file/testing";
import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import fc from "fast-check";
import type { MessageInput } from "@store/message-codec";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import { MessageStore } from "../src/message-store.js";
import type { PutMessageResult } from "../src/store-types.js";
import { silentLogger } from "./helpers.js";
import { SIM_ROOT, onClock } from "./store-test-kit.js";

/**
 * Chains of crashes on one store, for the property test of crash-chain.test.ts: lives of puts and
 * clock moves, each ended by a power cut (unsynced writes lost, kept in any subset, or torn at a
 * sector), a kill -9, or a power cut at the N-th disk call of the life (recovery included).
 * Everything runs on a VirtualClock over a SimulatedDisk: a chain replays exactly from its seed.
 */

export type Strategy = "SYNC_FLUSH" | "ASYNC_FLUSH" | "ASYNC_POOL";
export type DirectoryMode = "at-once" | "directory-sync";

export type Step =
  | {
      readonly kind: "put";
      readonly topic: string;
      readonly queueId: number;
      readonly sizes: readonly number[];
      /** Bytes of an extra property: long ones make a sector boundary fall inside the properties. */
      readonly padding: number;
      readonly batch: boolean;
    }
  | { readonly kind: "advance"; readonly ms: number };

export type Crash =
  | { readonly kind: "power"; readonly keepUnsyncedWrites: number; readonly tearNextWrite: boolean }
  | { readonly kind: "writeback"; readonly keep: readonly boolean[] }
  | { readonly kind: "process" }
  /** A power cut at the life's `call`-th disk call that changes something (recovery's included). */
  | {
      readonly kind: "at-call";
      readonly call: number;
      readonly keepUnsyncedWrites: number;
      readonly tearNextWrite: boolean;
    };

export interface LifePlan {
  readonly steps: readonly Step[];
  readonly crash: Crash;
}

export interface Chain {
  readonly lives: readonly LifePlan[];
}

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("put" as const),
      topic: fc.constantFrom("A", "B"),
      queueId: fc.integer({ min: 0, max: 2 }),
      sizes: fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 6 }),
      padding: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 })),
      batch: fc.boolean(),
    }),
  },
  // A hot queue: more units at once than a consume-queue flush round covers (its files hold 8).
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("put" as const),
      topic: fc.constant("H"),
      queueId: fc.constant(0),
      sizes: fc
        .integer({ min: 20, max: 60 })
        .map((count) => Array.from({ length: count }, () => 8)),
      padding: fc.constant(0),
      batch: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.integer({ min: 0, max: 40 }),
    }),
  },
);

const crashArbitrary: fc.Arbitrary<Crash> = fc.oneof(
  fc.record({
    kind: fc.constant("power" as const),
    keepUnsyncedWrites: fc.integer({ min: 0, max: 12 }),
    tearNextWrite: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("writeback" as const),
    keep: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant("process" as const) }),
  fc.record({
    kind: fc.constant("at-call" as const),
    call: fc.integer({ min: 1, max: 120 }),
    keepUnsyncedWrites: fc.integer({ min: 0, max: 6 }),
    tearNextWrite: fc.boolean(),
  }),
);

export const chainArbitrary: fc.Arbitrary<Chain> = fc.record({
  lives: fc.array(
    fc.record({
      steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 10 }),
      crash: crashArbitrary,
    }),
    { minLength: 2, maxLength: 4 },
  ),
});

/** Small files and quick services, so a chain crosses segment and queue files and flush rounds. */
export function chainConfig(strategy: Strategy): MessageStoreConfigInput {
  return {
    storePathRootDir: SIM_ROOT,
    mappedFileSizeCommitLog: 4096,
    mappedFileSizeConsumeQueue: 8 * 20,
    flushDiskType: strategy === "SYNC_FLUSH" ? "SYNC_FLUSH" : "ASYNC_FLUSH",
    transientStorePoolEnable: strategy === "ASYNC_POOL",
    transientStorePoolSize: 2,
    flushIntervalCommitLog: 7,
    flushCommitLogLeastPages: 0,
    commitIntervalCommitLog: 3,
    flushIntervalConsumeQueue: 11,
    flushConsumeQueueThoroughInterval: 29,
    syncFlushTimeout: 200,
    cleanResourceInterval: 1_000_000_000,
    // Index files of 23 entries over 5 slots: a chain starts many, and every query walks collisions.
    maxHashSlotNum: 5,
    maxIndexNum: 24,
    maxMsgsNumBatch: 10_000,
  };
}

/** What the test put, by message id. */
export interface PutRecord {
  readonly id: number;
  readonly input: MessageInput;
  result: PutMessageResult | null;
  /**
   * What the message is owed: "durable": to be served (at its acknowledged queue offset) from now
   * on; "page-cache": the same once a recovery completes (a kill -9 left it in the page cache, and
   * recovery fdatasyncs what it validated), nothing if the power goes first.
   */
  promise: "none" | "page-cache" | "durable";
}

/** A put's id, readable back from its body. */
export function bodyOf(id: number, size: number): Buffer {
  const head = `#${id}#`;
  return Buffer.concat([
    Buffer.from(head),
    Buffer.alloc(Math.max(0, size - head.length), 0x61 + (id % 26)),
  ]);
}

export function idOf(body: Buffer): number {
  const match = /^#(\d+)#/.exec(body.subarray(0, 16).toString("latin1"));
  return match ? Number(match[1]) : -1;
}

/** The mutating calls a crash "at a call" counts. */
const MUTATING: ReadonlySet<DiskCall> = new Set<DiskCall>([
  "pwrite",
  "pwriteSync",
  "fdatasync",
  "truncate",
  "unlink",
  "rename",
  "mkdir",
  "syncDirectory",
]);

/** One store incarnation and how to end it. */
export class Incarnation {
  store: MessageStore | null = null;
  crashed = false;
  readonly #disk: SimulatedDisk;
  readonly process: ReturnType<SimulatedDisk["process"]>;
  readonly #onCrash: () => void;

  constructor(disk: SimulatedDisk, crash: Crash, onCrash: () => void) {
    this.#disk = disk;
    this.#onCrash = onCrash;
    let calls = 0;
    this.process = disk.process({
      beforeCall: (call) => {
        if (crash.kind !== "at-call" || !MUTATING.has(call) || ++calls !== crash.call) return;
        this.cut({
          keepUnsyncedWrites: crash.keepUnsyncedWrites,
          tearNextWrite: crash.tearNextWrite,
        });
      },
    });
  }

  /** Power cut now (if not crashed yet), and the process dies with it. */
  cut(options: PowerCutOptions): void {
    if (this.crashed) return;
    this.#onCrash();
    this.crashed = true;
    this.#disk.powerCut(options);
    this.process.kill();
  }

  /** kill -9: the page cache survives. */
  kill(): void {
    if (this.crashed) return;
    this.#onCrash();
    this.crashed = true;
    this.#disk.processCrash();
    this.process.kill();
  }
}

/** A fresh disk and clock for a chain. */
export function newWorld(mode: DirectoryMode): { disk: SimulatedDisk; clock: VirtualClock } {
  const clock = new VirtualClock();
  return { clock, disk: new SimulatedDisk({ clock, directoryEntries: mode, fsyncLatencyMs: 1 }) };
}

/** Opens the store for `life` (null when the life crashed during recovery). */
export async function openIncarnation(
  life: Incarnation,
  clock: VirtualClock,
  strategy: Strategy,
): Promise<MessageStore | null> {
  // A restart after a crash takes a while: an empty lock (or takeover) file a crash left is stale by then.
  await clock.advance(15_000);
  try {
    life.store = await onClock(
      clock,
      MessageStore.open(chainConfig(strategy), { io: life.process, logger: silentLogger, clock }),
      1,
    );
  } catch (error) {
    if (life.crashed) return null;
    throw error;
  }
  if (life.crashed) {
    await onClock(clock, life.store.halt(), 1);
    return null;
  }
  return life.store;
}
