import type { BrokerObserver } from "@store/broker";
import { BrokerController, NamesrvController } from "@store/broker";
import type { MessageStore } from "@store/commitlog";
import type { FileIO } from "@store/mapped-file";
import { GrpcProxy } from "@store/proxy";
import type { Logger } from "pino";
import type { DemoConfig } from "./config-schema.js";
import { brokerConfigOf } from "./config-schema.js";
import type { FirstSegmentReport } from "./first-segment.js";
import { prepareFirstSegment } from "./first-segment.js";
import type { ConsumerGroupStatus, TopicStatus } from "./store-positions.js";
import { brokerConsumerGroups, brokerTopics } from "./broker-status.js";

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

/** Bound ports; null for what is not served (gRPC with enableGrpc=false). */
export interface ServedPorts {
  readonly listen: number | null;
  readonly namesrv: number | null;
  readonly grpc: number | null;
}

/** The running broker as the app sees it: the status page, metrics and lifecycle use only this. */
export interface BrokerRuntime {
  readonly store: MessageStore;
  readonly broker: BrokerController;
  readonly ports: ServedPorts;
  /** How the segment puts append to was made ready before the ports opened. */
  readonly firstSegment: FirstSegmentReport;
  topics(): TopicStatus[];
  consumerGroups(): ConsumerGroupStatus[];
  /** Stops the gRPC proxy and the name server (no new clients); the broker still answers its connections. */
  stopAccepting(): Promise<void>;
  /**
   * Stops the broker: no new connections, requests in flight finished (up to 5 s), pop, timer, offsets
   * and topics written, everything flushed, checkpoint written, `abort` removed, store lock released.
   */
  shutdown(): Promise<void>;
}

/**
 * Starts what serves clients over one store: `BrokerController` (it opens the store: lock, recovery,
 * flush services), the first commit-log segment made ready before its port opens, the gRPC proxy on
 * `grpcPort` (unless enableGrpc=false), and last the embedded name server on `namesrvPort`, so a
 * client that finds the name server finds the broker's routes in it.
 * @throws StoreError STORE_LOCKED (another process holds the store directory), START_FAILED, the
 *   store's other open errors, and listen errors (EADDRINUSE); nothing is left running then.
 */
export async function startBrokerRuntime(
  config: DemoConfig,
  deps: BrokerRuntimeDeps,
): Promise<BrokerRuntime> {
  const namesrv = new NamesrvController(
    { namesrvPort: config.namesrvPort },
    { logger: deps.logger.child({ component: "namesrv" }) },
  );
  let first: FirstSegmentReport | null = null;
  const broker = new BrokerController(brokerConfigOf(config), {
    logger: deps.logger.child({ component: "broker" }),
    storeLogger: deps.storeLogger,
    observer: deps.observer,
    io: deps.io,
    namesrv,
    beforeListen: async (store) => {
      first = await prepareFirstSegment(store);
    },
  });
  await broker.start();
  let proxy: GrpcProxy | null = null;
  let grpcPort: number | null = null;
  try {
    if (config.enableGrpc) {
      // 3 s for calls in flight at shutdown, so the proxy and the broker (5 s) stay within the 10 s exit bound
      proxy = new GrpcProxy({
        broker,
        grpcPort: config.grpcPort,
        logger: deps.logger.child({ component: "grpc" }),
        shutdownTimeoutMs: 3000,
      });
      grpcPort = await proxy.start();
    }
    await namesrv.start();
  } catch (error) {
    await proxy?.shutdown().catch(() => undefined);
    await namesrv.shutdown().catch(() => undefined);
    await broker.shutdown();
    throw error;
  }
  const grpcProxy = proxy;
  const firstSegment = first as FirstSegmentReport | null;
  if (firstSegment === null)
    throw new Error("the broker started without making its first segment ready");
  return {
    store: broker.messageStore,
    broker,
    ports: { listen: broker.listenPort, namesrv: namesrv.listenPort, grpc: grpcPort },
    firstSegment,
    topics: () => brokerTopics(broker),
    consumerGroups: () => brokerConsumerGroups(broker),
    stopAccepting: async () => {
      await grpcProxy?.shutdown();
      await namesrv.shutdown();
    },
    shutdown: () => broker.shutdown(),
  };
}
