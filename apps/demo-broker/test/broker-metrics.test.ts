import { describe, expect, it } from "vitest";
import type { MetricsSources } from "../src/broker-metrics.js";
import { BrokerMetrics, MESSAGE_SIZE_BUCKETS } from "../src/broker-metrics.js";
import type { ConsumerGroupStatus, StoragePositions } from "../src/store-positions.js";

const NODE = 'cluster="DefaultCluster",node_type="broker",node_id="broker-a"';

function metrics(overrides: Partial<MetricsSources> = {}): BrokerMetrics {
  return new BrokerMetrics(
    { cluster: "DefaultCluster", nodeId: "broker-a" },
    {
      positions: () => null,
      topics: () => [],
      consumerGroups: () => [],
      disk: () => Promise.resolve(null),
      ...overrides,
    },
  );
}

/** The value of the sample whose line starts with `prefix` (name and labels), or undefined. */
async function sample(m: BrokerMetrics, name: string, labels: string): Promise<number | undefined> {
  const text = await m.registry.metrics();
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`${name}{`) && labels.split(",").every((label) => l.includes(label)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("BrokerMetrics", () => {
  it("counts stored sends under RocketMQ 5's names and labels, with message sizes in its buckets", async () => {
    const m = metrics();
    m.messagesIn({
      topic: "orders",
      status: "PUT_OK",
      messages: 4,
      bodyBytes: 4 * 2000,
      latencyMs: 2,
    });
    m.messagesIn({
      topic: "orders",
      status: "FLUSH_DISK_TIMEOUT",
      messages: 1,
      bodyBytes: 100,
      latencyMs: 5000,
    });
    const labels = `topic="orders",is_system="false",${NODE}`;
    expect(await sample(m, "rocketmq_messages_in_total", labels)).toBe(5);
    expect(await sample(m, "rocketmq_throughput_in_total", labels)).toBe(8100);
    expect(await sample(m, "rocketmq_message_size_bucket", `le="1024",${labels}`)).toBe(1);
    expect(await sample(m, "rocketmq_message_size_bucket", `le="4096",${labels}`)).toBe(2);
    expect(MESSAGE_SIZE_BUCKETS).toEqual([1024, 4096, 524288, 1048576, 2097152, 4194304]);
    expect(m.totals.messagesIn).toBe(5);
  });

  it("times every send by status, but counts refused ones only there", async () => {
    const m = metrics();
    m.messagesIn({
      topic: "orders",
      status: "SERVICE_NOT_AVAILABLE",
      messages: 1,
      bodyBytes: 10,
      latencyMs: 1,
    });
    m.messagesIn({ topic: "orders", status: "PUT_OK", messages: 1, bodyBytes: 10, latencyMs: 30 });
    expect(
      await sample(
        m,
        "rocketmq_storage_put_latency_seconds_count",
        'status="SERVICE_NOT_AVAILABLE"',
      ),
    ).toBe(1);
    expect(
      await sample(m, "rocketmq_storage_put_latency_seconds_bucket", 'le="0.025",status="PUT_OK"'),
    ).toBe(0);
    expect(
      await sample(m, "rocketmq_storage_put_latency_seconds_bucket", 'le="0.05",status="PUT_OK"'),
    ).toBe(1);
    expect(await sample(m, "rocketmq_messages_in_total", 'topic="orders"')).toBe(1);
    expect(m.totals.failedPuts).toBe(1);
  });

  it("leaves retry and dead-letter topics out of the traffic counters and marks system topics", async () => {
    const m = metrics();
    m.messagesIn({
      topic: "%RETRY%group",
      status: "PUT_OK",
      messages: 1,
      bodyBytes: 10,
      latencyMs: 1,
    });
    m.messagesOut({ topic: "%DLQ%group", group: "group", messages: 1, bytes: 10 });
    m.messagesIn({
      topic: "rmq_sys_wheel",
      status: "PUT_OK",
      messages: 1,
      bodyBytes: 10,
      latencyMs: 1,
    });
    m.messagesOut({ topic: "orders", group: "billing", messages: 3, bytes: 600 });
    const text = await m.registry.metrics();
    expect(text).not.toContain("%RETRY%");
    expect(text).not.toContain("%DLQ%");
    expect(
      await sample(m, "rocketmq_messages_in_total", 'topic="rmq_sys_wheel",is_system="true"'),
    ).toBe(1);
    expect(
      await sample(
        m,
        "rocketmq_messages_out_total",
        'topic="orders",consumer_group="billing",is_system="false"',
      ),
    ).toBe(3);
    expect(await sample(m, "rocketmq_throughput_out_total", 'consumer_group="billing"')).toBe(600);
  });

  it("reads the storage positions, lags, disk and consumer lag on each scrape", async () => {
    let positions: StoragePositions = {
      wrote: 100,
      committed: 90,
      flushed: 40,
      commitLag: 10,
      flushLag: 50,
      minOffset: 0,
      dispatchLag: 0,
    };
    const groups: ConsumerGroupStatus[] = [{ group: "billing", topic: "orders", lag: 7 }];
    const m = metrics({
      positions: () => positions,
      consumerGroups: () => groups,
      topics: () => [{ topic: "orders", queues: 8, messages: 9, maxOffset: 9 }],
      disk: () => Promise.resolve({ totalBytes: 1000, availableBytes: 250 }),
    });
    expect(await sample(m, "rocketmq_storage_wrote_position_bytes", NODE)).toBe(100);
    expect(await sample(m, "rocketmq_storage_flush_lag_bytes", NODE)).toBe(50);
    positions = { ...positions, flushed: 90, flushLag: 0 };
    expect(await sample(m, "rocketmq_storage_flushed_position_bytes", NODE)).toBe(90);
    expect(await sample(m, "rocketmq_storage_flush_lag_bytes", NODE)).toBe(0);
    expect(await sample(m, "rocketmq_storage_commit_lag_bytes", NODE)).toBe(10);
    expect(await sample(m, "rocketmq_storage_disk_used_ratio", NODE)).toBe(0.75);
    expect(
      await sample(m, "rocketmq_consumer_lag_messages", 'topic="orders",consumer_group="billing"'),
    ).toBe(7);
    expect(await sample(m, "rocketmq_topic_number", NODE)).toBe(1);
    expect(await sample(m, "rocketmq_consumer_group_number", NODE)).toBe(1);
  });

  it("keeps an fdatasync latency histogram per file kind and counts failures", async () => {
    const m = metrics();
    m.fdatasync("commitlog", 0.0004, true);
    m.fdatasync("commitlog", 0.02, true);
    m.fdatasync("commitlog", 0.001, false);
    expect(
      await sample(m, "rocketmq_storage_fdatasync_seconds_bucket", 'le="0.0005",file="commitlog"'),
    ).toBe(1);
    expect(await sample(m, "rocketmq_storage_fdatasync_seconds_count", 'file="commitlog"')).toBe(2);
    expect(await sample(m, "rocketmq_storage_fdatasync_failures_total", 'file="commitlog"')).toBe(
      1,
    );
  });

  it("counts open connections", async () => {
    const m = metrics();
    m.connection({ open: true });
    m.connection({ open: true });
    m.connection({ open: false });
    expect(await sample(m, "rocketmq_broker_connections", NODE)).toBe(1);
  });
});
