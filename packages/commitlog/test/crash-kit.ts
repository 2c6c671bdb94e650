import type {
  DiskProcess,
  PowerCutOptions,
  SimulatedDisk,
  VirtualClock,
} from "@store/mapped-file/testing";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import type { MessageStoreOptions } from "../src/message-store.js";
import { MessageStore } from "../src/message-store.js";
import { silentLogger } from "./helpers.js";
import { SIM_ROOT, onClock } from "./store-test-kit.js";

/** One incarnation of a store: the store and the process view of the disk it runs on. */
export interface Life {
  readonly store: MessageStore;
  readonly process: DiskProcess;
}

/**
 * Services that never run unless a test moves the clock that far: a test drives flushes and
 * checkpoints itself. The store's own defaults otherwise (commit log and queue file sizes small).
 */
export const QUIET_SERVICES: MessageStoreConfigInput = {
  flushIntervalCommitLog: 1_000_000_000,
  flushCommitLogThoroughInterval: 1_000_000_000,
  commitIntervalCommitLog: 1_000_000_000,
  commitCommitLogThoroughInterval: 1_000_000_000,
  flushIntervalConsumeQueue: 1_000_000_000,
  flushConsumeQueueThoroughInterval: 1_000_000_000,
  cleanResourceInterval: 1_000_000_000,
};

/** Opens a store at SIM_ROOT through a fresh process view of `disk`, on `clock`. */
export async function openLife(
  disk: SimulatedDisk,
  clock: VirtualClock,
  config: MessageStoreConfigInput,
  options: MessageStoreOptions = {},
): Promise<Life> {
  const process = disk.process();
  const opening = MessageStore.open(
    {
      storePathRootDir: SIM_ROOT,
      mappedFileSizeCommitLog: 64 * 1024,
      mappedFileSizeConsumeQueue: 400 * 20,
      ...config,
    },
    { io: process, logger: silentLogger, clock, diskUsage: () => Promise.resolve(0), ...options },
  );
  return { store: await onClock(clock, opening, 1), process };
}

/** Cuts power (`cut` says what unsynced writes land), kills the process and halts its store. */
export async function powerCut(
  disk: SimulatedDisk,
  clock: VirtualClock,
  life: Life,
  cut: PowerCutOptions = {},
): Promise<void> {
  disk.powerCut(cut);
  life.process.kill();
  await onClock(clock, life.store.halt(), 1);
}

/** Shuts the store down cleanly (flushing everything), moving the clock while it waits. */
export function shutdown(clock: VirtualClock, life: Life): Promise<void> {
  return onClock(clock, life.store.shutdown(), 1);
}
