import type { BrokerController } from "@store/broker";
import type { ConsumerGroupStatus, TopicStatus } from "./store-positions.js";

/** Topics of the broker's own machinery, not shown as user topics. */
const INTERNAL_TOPICS = new Set(["TBW102", "SCHEDULE_TOPIC_XXXX", "rmq_sys_wheel_timer"]);

/** Topics listed at most (the page and metrics stay small); the rest are left out. */
const MAX_LISTED = 1000;

/** The broker's topics (user, retry and dead-letter ones) with their queues and stored messages, by name. */
export function brokerTopics(broker: BrokerController): TopicStatus[] {
  const store = broker.messageStore;
  const rows: TopicStatus[] = [];
  const names = [...broker.topicConfigManager.topics.keys()]
    .filter((topic) => !INTERNAL_TOPICS.has(topic))
    .sort();
  for (const topic of names.slice(0, MAX_LISTED)) {
    const config = broker.topicConfigManager.selectTopicConfig(topic);
    if (config === undefined) continue;
    const queues = Math.max(config.readQueueNums, config.writeQueueNums);
    let messages = 0;
    let maxOffset = 0;
    for (let queueId = 0; queueId < queues; queueId++) {
      const max = store.getMaxOffsetInQueue(topic, queueId);
      messages += max - store.getMinOffsetInQueue(topic, queueId);
      maxOffset += max;
    }
    rows.push({ topic, queues, messages, maxOffset });
  }
  return rows;
}

/**
 * Consumer groups with their lag per topic: 4.x groups from their committed offsets (a queue with
 * none counts from its first message), 5.x (pop) groups from the pop service's offsets.
 */
export function brokerConsumerGroups(broker: BrokerController): ConsumerGroupStatus[] {
  const store = broker.messageStore;
  const offsets = broker.consumerOffsetManager;
  const rows: ConsumerGroupStatus[] = [];
  const readQueues = (topic: string): number =>
    broker.topicConfigManager.selectTopicConfig(topic)?.readQueueNums ?? 0;
  const lagOf = (topic: string, offsetOf: (queueId: number) => number | undefined): number => {
    let lag = 0;
    for (let queueId = 0; queueId < readQueues(topic); queueId++) {
      const max = store.getMaxOffsetInQueue(topic, queueId);
      lag += Math.max(0, max - (offsetOf(queueId) ?? store.getMinOffsetInQueue(topic, queueId)));
    }
    return lag;
  };
  for (const topic of broker.topicConfigManager.topics.keys()) {
    if (INTERNAL_TOPICS.has(topic) || topic.startsWith("%")) continue;
    for (const group of offsets.whichGroupByTopic(topic)) {
      rows.push({
        group,
        topic,
        lag: lagOf(topic, (queueId) => nonNegative(offsets.queryOffset(group, topic, queueId))),
      });
    }
  }
  const popped = new Map<string, Map<number, number>>();
  for (const entry of broker.popService.consumedOffsets()) {
    const key = `${entry.group}\u0001${entry.topic}`;
    const queues = popped.get(key) ?? new Map<number, number>();
    queues.set(entry.queueId, entry.offset);
    popped.set(key, queues);
  }
  for (const [key, queues] of popped) {
    const [group, topic] = key.split("\u0001") as [string, string];
    if (rows.some((row) => row.group === group && row.topic === topic)) continue;
    rows.push({ group, topic, lag: lagOf(topic, (queueId) => queues.get(queueId)) });
  }
  return rows
    .sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic))
    .slice(0, MAX_LISTED);
}

function nonNegative(offset: number): number | undefined {
  return offset >= 0 ? offset : undefined;
}
