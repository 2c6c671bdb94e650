import { join } from "node:path";
import { SCHEDULE_TOPIC } from "@store/message-codec";
import type { Logger } from "pino";
import { BrokerError } from "../broker-error.js";
import { asObject, readJsonFile } from "../json-file.js";
import { PersistedFile } from "../persisted-file.js";
import type { TopicConfig } from "./topic-config.js";
import {
  AUTO_CREATE_TOPIC_KEY_TOPIC,
  invalidNameReason,
  PERM_INHERIT,
  PERM_READ,
  PERM_WRITE,
  topicConfig,
} from "./topic-config.js";

/** Options of the `TopicConfigManager`: its file, defaults and logger. */
export interface TopicConfigManagerOptions {
  /** The `config` directory; topics are kept in `topics.json` there. */
  readonly configDir: string;
  /** Queues of a topic created on first use. */
  readonly defaultTopicQueueNums: number;
  /** Whether unknown topics are created on first use (and TBW102 is advertised). */
  readonly autoCreateTopicEnable: boolean;
  /** Delay levels: SCHEDULE_TOPIC_XXXX gets one queue per level. */
  readonly delayLevelCount: number;
  readonly logger: Logger;
}

/** RocketMQ's DataVersion: bumped on every change, so the name server can tell new from old. */
export interface DataVersion {
  readonly timestamp: number;
  readonly counter: number;
}

/**
 * The broker's topics (TopicConfigManager.java): created on first use with `defaultTopicQueueNums`
 * queues, `%RETRY%`/`%DLQ%` topics with one, SCHEDULE_TOPIC_XXXX with one per delay level; persisted
 * atomically in config/topics.json after every change. Names are checked before they touch disk.
 */
export class TopicConfigManager {
  readonly #options: TopicConfigManagerOptions;
  readonly #topics = new Map<string, TopicConfig>();
  readonly #file: PersistedFile;
  readonly #listeners = new Set<() => void>();
  #dataVersion: DataVersion = { timestamp: Date.now(), counter: 0 };

  constructor(options: TopicConfigManagerOptions) {
    this.#options = options;
    this.#file = new PersistedFile(
      join(options.configDir, "topics.json"),
      () => this.#serialize(),
      options.logger,
    );
    this.#putSystemTopics();
  }

  get dataVersion(): DataVersion {
    return this.#dataVersion;
  }

  /** Every topic, system topics included. */
  get topics(): ReadonlyMap<string, TopicConfig> {
    return this.#topics;
  }

  /** Runs `listener` after every change (the broker re-registers with its name server). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Loads config/topics.json (absent: no topics yet). @throws BrokerError CONFIG_FILE_CORRUPT. */
  async load(): Promise<void> {
    const path = join(this.#options.configDir, "topics.json");
    const json = asObject(await readJsonFile(path));
    if (json === null) return;
    const table = asObject(json.topicConfigTable);
    if (table === null)
      throw new BrokerError("CONFIG_FILE_CORRUPT", `${path}: topicConfigTable is missing`);
    for (const [name, value] of Object.entries(table)) {
      const config = parseTopicConfig(name, value);
      if (config === null)
        throw new BrokerError(
          "CONFIG_FILE_CORRUPT",
          `${path}: topic ${JSON.stringify(name)} is invalid`,
        );
      this.#topics.set(name, config);
    }
    const version = asObject(json.dataVersion);
    if (
      version !== null &&
      typeof version.timestamp === "number" &&
      typeof version.counter === "number"
    ) {
      this.#dataVersion = { timestamp: version.timestamp, counter: version.counter };
    }
    this.#putSystemTopics();
  }

  /** Writes topics.json now (and waits for writes already started). */
  persist(): Promise<void> {
    return this.#file.persist();
  }

  /** The topic's config, or undefined when the topic does not exist. */
  selectTopicConfig(topic: string): TopicConfig | undefined {
    return this.#topics.get(topic);
  }

  /**
   * The topic, created with `min(queueNums, defaultTopicQueueNums)` queues when unknown and
   * autoCreateTopicEnable (RocketMQ's createTopicInSendMessageMethod). Null when it does not exist
   * and may not be created. @throws BrokerError INVALID_TOPIC for a bad name.
   */
  createTopicInSendMessageMethod(
    topic: string,
    queueNums = this.#options.defaultTopicQueueNums,
  ): TopicConfig | null {
    const existing = this.#topics.get(topic);
    if (existing !== undefined) return existing;
    if (!this.#options.autoCreateTopicEnable) return null;
    const queues = Math.max(1, Math.min(queueNums, this.#options.defaultTopicQueueNums));
    return this.#create(topicConfig(topic, queues));
  }

  /**
   * A `%RETRY%` or `%DLQ%` topic, created with `queueNums` queues when unknown, whatever
   * autoCreateTopicEnable says (createTopicInSendMessageBackMethod). @throws BrokerError INVALID_TOPIC.
   */
  createTopicInSendMessageBackMethod(
    topic: string,
    queueNums: number,
    perm = PERM_READ | PERM_WRITE,
  ): TopicConfig {
    return this.#topics.get(topic) ?? this.#create(topicConfig(topic, queueNums, perm));
  }

  /** Creates or replaces a topic (UPDATE_AND_CREATE_TOPIC). @throws BrokerError INVALID_TOPIC. */
  updateTopicConfig(config: TopicConfig): TopicConfig {
    return this.#create(config);
  }

  #create(config: TopicConfig): TopicConfig {
    const reason = invalidNameReason(config.topicName);
    if (reason !== null)
      throw new BrokerError(
        "INVALID_TOPIC",
        `topic ${JSON.stringify(config.topicName.slice(0, 200))} ${reason}`,
      );
    this.#topics.set(config.topicName, config);
    this.#dataVersion = { timestamp: Date.now(), counter: this.#dataVersion.counter + 1 };
    this.#options.logger.info(
      { topic: config.topicName, queues: config.writeQueueNums, perm: config.perm },
      "topic created or updated",
    );
    this.#file.schedule();
    for (const listener of this.#listeners) listener();
    return config;
  }

  #putSystemTopics(): void {
    if (!this.#topics.has(SCHEDULE_TOPIC))
      this.#topics.set(SCHEDULE_TOPIC, topicConfig(SCHEDULE_TOPIC, this.#options.delayLevelCount));
    if (this.#options.autoCreateTopicEnable && !this.#topics.has(AUTO_CREATE_TOPIC_KEY_TOPIC)) {
      const queues = this.#options.defaultTopicQueueNums;
      this.#topics.set(
        AUTO_CREATE_TOPIC_KEY_TOPIC,
        topicConfig(AUTO_CREATE_TOPIC_KEY_TOPIC, queues, PERM_INHERIT | PERM_READ | PERM_WRITE),
      );
    }
  }

  #serialize(): unknown {
    return { topicConfigTable: Object.fromEntries(this.#topics), dataVersion: this.#dataVersion };
  }
}

function parseTopicConfig(name: string, value: unknown): TopicConfig | null {
  const json = asObject(value);
  if (json === null || invalidNameReason(name) !== null) return null;
  const count = (field: unknown) =>
    typeof field === "number" && Number.isInteger(field) && field >= 0 && field <= 65_535
      ? field
      : null;
  const read = count(json.readQueueNums);
  const write = count(json.writeQueueNums);
  const perm = count(json.perm);
  if (read === null || write === null || perm === null) return null;
  return {
    topicName: name,
    readQueueNums: read,
    writeQueueNums: write,
    perm,
    topicFilterType: json.topicFilterType === "MULTI_TAG" ? "MULTI_TAG" : "SINGLE_TAG",
    topicSysFlag: count(json.topicSysFlag) ?? 0,
    order: json.order === true,
  };
}
