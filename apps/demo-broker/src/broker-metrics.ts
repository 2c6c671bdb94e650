import type { BrokerObserver, MessagesInEvent, MessagesOutEvent } from "@store/broker";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ConsumerGroupStatus, StoragePositions, TopicStatus } from "./store-positions.js";
import type { SyncedFileKind } from "./timed-file-io.js";

/** Message size buckets of RocketMQ 5's BrokerMetricsManager (1 KiB, 4 KiB, 512 KiB, 1, 2, 4 MiB), bytes. */
export const MESSAGE_SIZE_BUCKETS = [
  1024,
  4096,
  512 * 1024,
  1024 * 1024,
  2 * 1024 * 1024,
  4 * 1024 * 1024,
];
/** fdatasync latency buckets, seconds: 50 µs to 2.5 s. */
export const FDATASYNC_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5,
];
/** Put (send) latency buckets, seconds: 100 µs to 5 s (syncFlushTimeout's default). */
export const PUT_LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
];

/** RocketMQ's TopicValidator system topics (and its `rmq_sys_` prefix). */
const SYSTEM_TOPICS = new Set([
  "TBW102",
  "SCHEDULE_TOPIC_XXXX",
  "BenchmarkTest",
  "RMQ_SYS_TRANS_HALF_TOPIC",
  "RMQ_SYS_TRACE_TOPIC",
  "RMQ_SYS_TRANS_OP_HALF_TOPIC",
  "TRANS_CHECK_MAX_TIME_TOPIC",
  "SELF_TEST_TOPIC",
  "OFFSET_MOVED_EVENT",
  "CHECKPOINT_TOPIC",
]);

function isSystemTopic(topic: string): boolean {
  return SYSTEM_TOPICS.has(topic) || topic.startsWith("rmq_sys_");
}

/** RocketMQ leaves retry and dead-letter topics out of the traffic counters. */
function isRetryOrDlqTopic(topic: string): boolean {
  return topic.startsWith("%RETRY%") || topic.startsWith("%DLQ%");
}

/** Statuses under which RocketMQ counts a send as stored (SendMessageProcessor's putOk). */
const STORED_STATUSES = new Set([
  "PUT_OK",
  "FLUSH_DISK_TIMEOUT",
  "FLUSH_SLAVE_TIMEOUT",
  "SLAVE_NOT_AVAILABLE",
]);

/** Disk holding the store: sizes in bytes. */
export interface DiskUsage {
  readonly totalBytes: number;
  readonly availableBytes: number;
}

/** Where the gauges read the current state (on each scrape). */
export interface MetricsSources {
  readonly positions: () => StoragePositions | null;
  readonly topics: () => readonly TopicStatus[];
  readonly consumerGroups: () => readonly ConsumerGroupStatus[];
  readonly disk: () => Promise<DiskUsage | null>;
}

/** Running totals since start, for the status page. */
export interface TrafficTotals {
  readonly messagesIn: number;
  readonly bytesIn: number;
  readonly messagesOut: number;
  readonly bytesOut: number;
  readonly failedPuts: number;
  readonly connections: number;
  readonly fdatasyncs: number;
}

/**
 * The Prometheus metrics (prom-client, own registry): RocketMQ 5.1's broker metrics where one exists
 * (`rocketmq_messages_in_total`, ..., labels cluster / node_type / node_id / topic / is_system), fed by
 * the broker through `BrokerObserver`; and this store's `rocketmq_storage_*` metrics, read from the
 * store on each scrape or fed by the timed FileIO (fdatasync).
 */
export class BrokerMetrics implements BrokerObserver {
  readonly registry = new Registry();
  readonly #messagesIn: Counter<"topic" | "is_system">;
  readonly #throughputIn: Counter<"topic" | "is_system">;
  readonly #messageSize: Histogram<"topic" | "is_system">;
  readonly #messagesOut: Counter<"topic" | "consumer_group" | "is_system">;
  readonly #throughputOut: Counter<"topic" | "consumer_group" | "is_system">;
  readonly #putLatency: Histogram<"status">;
  readonly #fdatasync: Histogram<"file">;
  readonly #fdatasyncFailures: Counter<"file">;
  #totals = {
    messagesIn: 0,
    bytesIn: 0,
    messagesOut: 0,
    bytesOut: 0,
    failedPuts: 0,
    connections: 0,
    fdatasyncs: 0,
  };

  constructor(
    labels: { readonly cluster: string; readonly nodeId: string },
    sources: MetricsSources,
  ) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({
      cluster: labels.cluster,
      node_type: "broker",
      node_id: labels.nodeId,
    });
    const topicLabels = ["topic", "is_system"] as const;
    const outLabels = ["topic", "consumer_group", "is_system"] as const;
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.#messagesIn = counter(
      "rocketmq_messages_in_total",
      "Total number of incoming messages",
      topicLabels,
    );
    this.#throughputIn = counter(
      "rocketmq_throughput_in_total",
      "Total traffic of incoming messages, bytes",
      topicLabels,
    );
    this.#messageSize = new Histogram({
      name: "rocketmq_message_size",
      help: "Incoming messages size, bytes",
      labelNames: topicLabels,
      buckets: MESSAGE_SIZE_BUCKETS,
      registers,
    });
    this.#messagesOut = counter(
      "rocketmq_messages_out_total",
      "Total number of outgoing messages",
      outLabels,
    );
    this.#throughputOut = counter(
      "rocketmq_throughput_out_total",
      "Total traffic of outgoing messages, bytes",
      outLabels,
    );
    this.#putLatency = new Histogram({
      name: "rocketmq_storage_put_latency_seconds",
      help: "Send latency from request to answer, by put status, seconds",
      labelNames: ["status"],
      buckets: PUT_LATENCY_BUCKETS,
      registers,
    });
    this.#fdatasync = new Histogram({
      name: "rocketmq_storage_fdatasync_seconds",
      help: "fdatasync latency by store file kind, seconds",
      labelNames: ["file"],
      buckets: FDATASYNC_BUCKETS,
      registers,
    });
    this.#fdatasyncFailures = counter(
      "rocketmq_storage_fdatasync_failures_total",
      "Failed fdatasyncs by file kind",
      ["file"],
    );
    this.#registerStorageGauges(sources);
    this.#registerDiskGauges(sources);
    this.#registerBrokerGauges(sources);
    collectDefaultMetrics({ register: this.registry });
  }

  /** `rocketmq_storage_*` commit-log positions and lags, read from the store on each scrape, bytes. */
  #registerStorageGauges(sources: MetricsSources): void {
    const registers = [this.registry];
    const position = (name: string, help: string, read: (p: StoragePositions) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const positions = sources.positions();
          if (positions !== null) this.set(read(positions));
        },
      });
    };
    position(
      "rocketmq_storage_wrote_position_bytes",
      "Commit log: end of the appended data, absolute offset",
      (p) => p.wrote,
    );
    position(
      "rocketmq_storage_committed_position_bytes",
      "Commit log: end of the data in the file",
      (p) => p.committed,
    );
    position(
      "rocketmq_storage_flushed_position_bytes",
      "Commit log: end of the fdatasync'd data",
      (p) => p.flushed,
    );
    position(
      "rocketmq_storage_commit_lag_bytes",
      "Commit log: wrote - committed (pool buffer only)",
      (p) => p.commitLag,
    );
    position(
      "rocketmq_storage_flush_lag_bytes",
      "Commit log: committed - flushed (not on disk)",
      (p) => p.flushLag,
    );
    position(
      "rocketmq_storage_dispatch_lag_bytes",
      "Commit log bytes not yet in consume queues",
      (p) => p.dispatchLag,
    );
    position(
      "rocketmq_storage_min_offset_bytes",
      "Commit log: first offset still stored",
      (p) => p.minOffset,
    );
  }

  /** `rocketmq_storage_disk_*`: the file system holding the store, read on each scrape. */
  #registerDiskGauges(sources: MetricsSources): void {
    const registers = [this.registry];
    const disk = (name: string, help: string, read: (d: DiskUsage) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const usage = await sources.disk();
          if (usage !== null) this.set(read(usage));
        },
      });
    };
    disk(
      "rocketmq_storage_disk_total_bytes",
      "Size of the file system holding the store",
      (d) => d.totalBytes,
    );
    disk(
      "rocketmq_storage_disk_available_bytes",
      "Free space (for unprivileged users) on it",
      (d) => d.availableBytes,
    );
    disk(
      "rocketmq_storage_disk_used_ratio",
      "Used share of it, 0..1",
      (d) => 1 - d.availableBytes / Math.max(1, d.totalBytes),
    );
  }

  /** RocketMQ 5's broker gauges: connections, topic and group numbers, consumer lag per topic and group. */
  #registerBrokerGauges(sources: MetricsSources): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    gauge("rocketmq_broker_connections", "Open client connections", () => this.#totals.connections);
    gauge("rocketmq_topic_number", "Active topic number", () => sources.topics().length);
    const groups = () => new Set(sources.consumerGroups().map((g) => g.group)).size;
    gauge("rocketmq_consumer_group_number", "Active subscription group number", groups);
    new Gauge({
      name: "rocketmq_consumer_lag_messages",
      help: "Consumer lag messages",
      labelNames: ["topic", "consumer_group"],
      registers,
      collect() {
        this.reset();
        for (const g of sources.consumerGroups())
          this.set({ topic: g.topic, consumer_group: g.group }, g.lag);
      },
    });
  }

  /** Totals since start. */
  get totals(): TrafficTotals {
    return { ...this.#totals };
  }

  messagesIn(event: MessagesInEvent): void {
    this.#putLatency.observe({ status: event.status }, event.latencyMs / 1000);
    if (!STORED_STATUSES.has(event.status)) {
      this.#totals.failedPuts += event.messages;
      return;
    }
    this.#totals.messagesIn += event.messages;
    this.#totals.bytesIn += event.bodyBytes;
    if (isRetryOrDlqTopic(event.topic) || event.messages <= 0) return;
    const labels = { topic: event.topic, is_system: String(isSystemTopic(event.topic)) };
    this.#messagesIn.inc(labels, event.messages);
    this.#throughputIn.inc(labels, event.bodyBytes);
    this.#messageSize.observe(labels, Math.floor(event.bodyBytes / event.messages));
  }

  messagesOut(event: MessagesOutEvent): void {
    this.#totals.messagesOut += event.messages;
    this.#totals.bytesOut += event.bytes;
    if (isRetryOrDlqTopic(event.topic)) return;
    const labels = {
      topic: event.topic,
      consumer_group: event.group,
      is_system: String(isSystemTopic(event.topic)),
    };
    this.#messagesOut.inc(labels, event.messages);
    this.#throughputOut.inc(labels, event.bytes);
  }

  connection(event: { readonly open: boolean }): void {
    this.#totals.connections = Math.max(0, this.#totals.connections + (event.open ? 1 : -1));
  }

  /** A FdatasyncListener (see timedFileIO). */
  readonly fdatasync = (kind: SyncedFileKind, seconds: number, ok: boolean): void => {
    this.#totals.fdatasyncs++;
    if (ok) this.#fdatasync.observe({ file: kind }, seconds);
    else this.#fdatasyncFailures.inc({ file: kind });
  };
}
