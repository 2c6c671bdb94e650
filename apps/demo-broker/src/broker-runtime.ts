import type { BrokerObserver } from "@store/broker";
import { MessageStore } from "@store/commitlog";
import type { FileIO } from "@store/mapped-file";
import type { Logger } from "pino";
import type { DemoConfig } from "./config-schema.js";
import { storeConfigOf } from "./config-schema.js";
import type { FirstSegmentReport } from "./first-segment.js";
import { prepareFirstSegment } from "./first-segment.js";
import type { ConsumerGroupStatus, TopicStatus } from "./store-positions.js";
import { storeTopics } from "./store-positions.js";

/** What the app gives the broker. */
export interface BrokerRuntimeDeps {
  readonly logger: Logger;
  /** Where the store logs (a child of `logger`). */
  readonly storeLogger: Logger;
  /** Told about sends, pulls and connections (the metrics). */
  readonly observer: BrokerObserver;
  /** The store's file access (timed, for the fdatasync histogram). */
  readonly io: FileIO;
}

/** Bound ports; null for what this build does not serve yet. */
export interface ServedPorts {
  readonly listen: number | null;
  readonly namesrv: number | null;
  readonly grpc: number | null;
}

/** The running broker as the app sees it: the status page, metrics and lifecycle use only this. */
export interface BrokerRuntime {
  readonly store: MessageStore;
  readonly ports: ServedPorts;
  /** How the segment puts append to was made ready before the ports opened. */
  readonly firstSegment: FirstSegmentReport;
  topics(): TopicStatus[];
  consumerGroups(): ConsumerGroupStatus[];
  /** Stops taking connections and requests, and waits for the requests in flight. */
  stopAccepting(): Promise<void>;
  /** Flushes everything, checkpoints, removes `abort` and releases the store lock. */
  shutdown(): Promise<void>;
}

/**
 * THE SEAM for BrokerController. Opens the store (lock, recovery, services), makes the first segment
 * ready, then starts what serves clients. Today no broker is in this build: the store runs alone and
 * the wire ports stay closed. When @store/broker exports BrokerController, replace the block marked
 * below with:
 *
 * ```ts
 * const broker = new BrokerController({ ...brokerConfigOf(config), store, observer: deps.observer, logger: deps.logger });
 * await broker.start(); // listens on listenPort, the embedded name server on namesrvPort
 * return runtime(store, first, { listen: broker.listenPort, namesrv: broker.namesrvPort, grpc: null },
 *   () => broker.topics(), () => broker.consumerGroups(), () => broker.stopAccepting(), () => broker.shutdown());
 * ```
 *
 * If BrokerController opens the store itself instead, it must take `{ io, logger }` for it and make
 * the first segment ready (prepareFirstSegment) before it listens.
 * @throws StoreError STORE_LOCKED (another process holds the store directory), START_FAILED, and the
 *   store's other open errors; nothing is left running then.
 */
export async function startBrokerRuntime(config: DemoConfig, deps: BrokerRuntimeDeps): Promise<BrokerRuntime> {
  const store = await MessageStore.open(storeConfigOf(config), { logger: deps.storeLogger, io: deps.io });
  let first: FirstSegmentReport;
  try {
    first = await prepareFirstSegment(store);
  } catch (error) {
    await store.shutdown();
    throw error;
  }
  // ---- until BrokerController lands: the store alone ----
  return runtime(store, first, { listen: null, namesrv: null, grpc: null }, {
    topics: () => storeTopics(store),
    consumerGroups: () => [],
    stopAccepting: () => Promise.resolve(),
    shutdown: () => store.shutdown(),
  });
  // ---- end ----
}

function runtime(
  store: MessageStore,
  firstSegment: FirstSegmentReport,
  ports: ServedPorts,
  parts: Pick<BrokerRuntime, "topics" | "consumerGroups" | "stopAccepting" | "shutdown">,
): BrokerRuntime {
  return { store, ports, firstSegment, ...parts };
}
