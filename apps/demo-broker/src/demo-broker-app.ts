import { join } from "node:path";
import type { RecoveryReport } from "@store/commitlog";
import type { FileIO } from "@store/mapped-file";
import { nodeFileIO } from "@store/mapped-file";
import type { Logger } from "pino";
import type { DiskUsage, TrafficTotals } from "./broker-metrics.js";
import { BrokerMetrics } from "./broker-metrics.js";
import type { BrokerRuntime, ServedPorts } from "./broker-runtime.js";
import { startBrokerRuntime } from "./broker-runtime.js";
import type { DemoConfig } from "./config-schema.js";
import { DiskUsageProbe } from "./disk-usage.js";
import type { FlushStrategy } from "./flush-strategy.js";
import { flushStrategy } from "./flush-strategy.js";
import { StatusHttpServer } from "./http-server.js";
import type { BannerInfo } from "./start-banner.js";
import { loadCommand } from "./start-banner.js";
import { STATUS_PAGE_HTML } from "./status-page.js";
import type { ConsumerGroupStatus, StoragePositions, TopicStatus } from "./store-positions.js";
import { storagePositions } from "./store-positions.js";
import { timedFileIO } from "./timed-file-io.js";

/** `/api/status`: everything the status page shows. */
export interface StatusReport {
  /** When the snapshot was taken, ms since the epoch. */
  readonly time: number;
  readonly state: "running" | "stopping";
  readonly broker: {
    readonly name: string;
    readonly cluster: string;
    readonly storePath: string;
    readonly startedAt: number;
    readonly ports: ServedPorts & { readonly http: number };
    /** The command that sends load to this broker over the wire. */
    readonly loadCommand: string;
  };
  readonly strategy: FlushStrategy & {
    readonly flushDiskType: string;
    readonly transientStorePoolEnable: boolean;
  };
  readonly positions: StoragePositions;
  readonly recovery: RecoveryReport;
  readonly traffic: TrafficTotals;
  readonly topics: readonly TopicStatus[];
  readonly consumerGroups: readonly ConsumerGroupStatus[];
  readonly disk: DiskUsage | null;
}

export interface DemoBrokerAppOptions {
  readonly logger: Logger;
  /** Where the store logs; default a child of `logger`. */
  readonly storeLogger?: Logger;
  /** The store's file access before timing; default node:fs. */
  readonly io?: FileIO;
}

/**
 * The running product: the broker runtime (BrokerController over the store, the embedded name
 * server, the gRPC proxy), the metrics it feeds and the HTTP side. `start` opens in that order, so nothing
 * listens before the store has recovered and its first segment is ready; `shutdown` stops accepting,
 * drains, then flushes and closes the store.
 */
export class DemoBrokerApp {
  readonly config: DemoConfig;
  readonly strategy: FlushStrategy;
  readonly metrics: BrokerMetrics;
  readonly #logger: Logger;
  readonly #disk: DiskUsageProbe;
  readonly #http: StatusHttpServer;
  readonly #startedAt = Date.now();
  #runtime: BrokerRuntime | null = null;
  #state: "running" | "stopping" | "stopped" = "running";
  #stopped: Promise<void> | null = null;
  #unlistenFdatasync: () => void = () => undefined;

  private constructor(config: DemoConfig, logger: Logger) {
    this.config = config;
    this.strategy = flushStrategy(config);
    this.#logger = logger;
    this.#disk = new DiskUsageProbe(config.storePathRootDir);
    this.metrics = new BrokerMetrics(
      { cluster: config.brokerClusterName, nodeId: config.brokerName },
      {
        positions: () => (this.#runtime === null ? null : storagePositions(this.#runtime.store)),
        topics: () => this.#runtime?.topics() ?? [],
        consumerGroups: () => this.#runtime?.consumerGroups() ?? [],
        disk: () => this.#disk.read(),
      },
    );
    this.#http = new StatusHttpServer(
      {
        page: STATUS_PAGE_HTML,
        status: () => this.status(),
        metrics: async () => ({
          contentType: this.metrics.registry.contentType,
          body: await this.metrics.registry.metrics(),
        }),
        health: () => this.health(),
      },
      logger.child({ component: "http" }),
    );
  }

  /**
   * Opens the store (lock, recovery), makes the first segment ready, starts the broker runtime, then
   * the HTTP side; logs what recovery did.
   * @throws StoreError STORE_LOCKED, START_FAILED, the store's open errors, or a listen error (EADDRINUSE).
   */
  static async start(config: DemoConfig, options: DemoBrokerAppOptions): Promise<DemoBrokerApp> {
    const app = new DemoBrokerApp(config, options.logger);
    const io = timedFileIO(options.io ?? nodeFileIO);
    app.#unlistenFdatasync = io.onFdatasync(app.metrics.fdatasync);
    let runtime: BrokerRuntime;
    try {
      runtime = await startBrokerRuntime(config, {
        logger: options.logger,
        storeLogger: options.storeLogger ?? options.logger.child({ component: "store" }),
        observer: app.metrics,
        io,
      });
    } catch (error) {
      app.#unlistenFdatasync();
      throw error;
    }
    app.#runtime = runtime;
    app.#logRecovery(runtime.store.recovery);
    const first = runtime.firstSegment;
    const elapsedMs = Math.round(first.elapsedMs);
    const detail = {
      fileFromOffset: first.fileFromOffset,
      created: first.created,
      elapsedMs,
      nextSegmentReady: first.nextReady,
    };
    const created = `commit-log segment ${first.fileFromOffset} created in ${elapsedMs} ms, before the ports open`;
    if (first.created) options.logger.info({ detail }, created);
    else options.logger.info({ detail }, "commit-log segment ready");
    try {
      await app.#http.start(config.httpPort);
    } catch (error) {
      await runtime.stopAccepting();
      await runtime.shutdown();
      app.#unlistenFdatasync();
      throw error;
    }
    return app;
  }

  #logRecovery(report: RecoveryReport): void {
    const where = { detail: report };
    if (report.mode === "empty") this.#logger.info(where, "new store: nothing to recover");
    else if (report.mode === "normal")
      this.#logger.info(where, `normal recovery: the log ends at ${report.processOffset}`);
    else {
      this.#logger.warn(
        where,
        `abnormal recovery ran (the last run did not shut down cleanly): scanned ${report.recordsScanned} records from offset ` +
          `${report.startOffset}, cut ${report.truncatedBytes} bytes in ${report.truncatedRecords} records (stopped at ` +
          `${report.stopReason}), removed ${report.truncatedFiles} files past the new end, zeroed ${report.staleBytesCleared} ` +
          `stale bytes after it; the log ends at offset ${report.processOffset}`,
      );
    }
  }

  /** The running runtime. */
  get runtime(): BrokerRuntime {
    if (this.#runtime === null) throw new Error("the broker is not running");
    return this.#runtime;
  }

  /** The bound HTTP port. */
  get httpPort(): number {
    return this.#http.port;
  }

  /** What the start banner shows. */
  bannerInfo(): BannerInfo {
    const c = this.config;
    return {
      brokerName: c.brokerName,
      storePath: c.storePathRootDir,
      strategy: this.strategy,
      recovery: this.runtime.store.recovery,
      ports: { ...this.runtime.ports, http: this.httpPort },
      configuredPorts: {
        listen: c.listenPort,
        namesrv: c.namesrvPort,
        grpc: c.grpcPort,
        enableGrpc: c.enableGrpc,
      },
    };
  }

  /** Healthy while running and the commit log takes writes. */
  health(): { ok: boolean; reason: string } {
    if (this.#state !== "running") return { ok: false, reason: "shutting down" };
    const runtime = this.#runtime;
    if (runtime === null) return { ok: false, reason: "not started" };
    const notWritable = runtime.store.commitLog.notWritableReason;
    return notWritable === null ? { ok: true, reason: "" } : { ok: false, reason: notWritable };
  }

  /** The status JSON (`/api/status`). */
  async status(): Promise<StatusReport> {
    const runtime = this.runtime;
    const c = this.config;
    return {
      time: Date.now(),
      state: this.#state === "running" ? "running" : "stopping",
      broker: {
        name: c.brokerName,
        cluster: c.brokerClusterName,
        storePath: c.storePathRootDir,
        startedAt: this.#startedAt,
        ports: { ...runtime.ports, http: this.httpPort },
        loadCommand: loadCommand(runtime.ports),
      },
      strategy: {
        ...this.strategy,
        flushDiskType: c.flushDiskType,
        transientStorePoolEnable: c.transientStorePoolEnable,
      },
      positions: storagePositions(runtime.store),
      recovery: runtime.store.recovery,
      traffic: this.metrics.totals,
      topics: runtime.topics(),
      consumerGroups: runtime.consumerGroups(),
      disk: await this.#disk.read(),
    };
  }

  /**
   * Stops accepting (HTTP, gRPC, name server), stops the broker (it finishes requests in flight), waits for what is in flight, then shuts the store
   * down: everything flushed, checkpoint written, `abort` removed, lock released. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  async #shutdown(): Promise<void> {
    this.#state = "stopping";
    const runtime = this.runtime;
    await Promise.all([this.#http.stop(), runtime.stopAccepting()]);
    await runtime.shutdown();
    this.#unlistenFdatasync();
    this.#state = "stopped";
    const positions = storagePositions(runtime.store);
    const abort = await nodeFileIO.stat(join(this.config.storePathRootDir, "abort"));
    const clean = abort === null && positions.flushed === positions.wrote;
    const detail = {
      flushed: positions.flushed,
      wrote: positions.wrote,
      abortFileKept: abort !== null,
    };
    if (clean)
      this.#logger.info({ detail }, "stopped cleanly: everything flushed, abort file removed");
    else
      this.#logger.warn({ detail }, "stopped, but not cleanly: the next start recovers abnormally");
  }
}
