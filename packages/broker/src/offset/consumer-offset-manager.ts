import { join } from "node:path";
import type { Logger } from "pino";
import { BrokerError } from "../broker-error.js";
import { asObject, readJsonFile } from "../json-file.js";
import { PersistedFile } from "../persisted-file.js";

const TOPIC_GROUP_SEPARATOR = "@";

/**
 * Committed consume offsets per group, topic and queue (ConsumerOffsetManager.java), kept in memory
 * and written atomically to config/consumerOffset.json by `persist()` (the broker calls it every
 * flushConsumerOffsetInterval and at shutdown). An offset is the next queue offset to consume.
 *
 * File: `{"offsetTable":{"<topic>@<group>":{"<queueId>":<offset>,...},...}}`.
 */
export class ConsumerOffsetManager {
  readonly #table = new Map<string, Map<number, number>>();
  readonly #path: string;
  readonly #file: PersistedFile;
  readonly #logger: Logger;

  constructor(options: { readonly configDir: string; readonly logger: Logger }) {
    this.#path = join(options.configDir, "consumerOffset.json");
    this.#logger = options.logger;
    this.#file = new PersistedFile(this.#path, () => this.#serialize(), options.logger);
  }

  /** Loads consumerOffset.json (absent: no offsets). @throws BrokerError CONFIG_FILE_CORRUPT. */
  async load(): Promise<void> {
    const json = asObject(await readJsonFile(this.#path));
    if (json === null) return;
    const table = asObject(json.offsetTable);
    if (table === null)
      throw new BrokerError("CONFIG_FILE_CORRUPT", `${this.#path}: offsetTable is missing`);
    for (const [key, queues] of Object.entries(table)) {
      const offsets = asObject(queues);
      if (offsets === null || !key.includes(TOPIC_GROUP_SEPARATOR)) {
        throw new BrokerError(
          "CONFIG_FILE_CORRUPT",
          `${this.#path}: entry ${JSON.stringify(key)} is invalid`,
        );
      }
      const map = new Map<number, number>();
      for (const [queueId, offset] of Object.entries(offsets)) {
        if (
          !/^\d+$/.test(queueId) ||
          typeof offset !== "number" ||
          !Number.isSafeInteger(offset) ||
          offset < 0
        ) {
          throw new BrokerError(
            "CONFIG_FILE_CORRUPT",
            `${this.#path}: ${key} queue ${queueId} has offset ${JSON.stringify(offset)}`,
          );
        }
        map.set(Number(queueId), offset);
      }
      this.#table.set(key, map);
    }
  }

  /**
   * Records `offset` as the group's next offset to consume in the queue. Negative offsets are ignored:
   * ali-ons commits -1 for queues it has not consumed (research quirk Q4), which must not overwrite.
   */
  commitOffset(group: string, topic: string, queueId: number, offset: number): void {
    if (offset < 0) return;
    const key = topic + TOPIC_GROUP_SEPARATOR + group;
    let queues = this.#table.get(key);
    if (queues === undefined) this.#table.set(key, (queues = new Map<number, number>()));
    const previous = queues.get(queueId);
    if (previous !== undefined && previous !== offset)
      this.#logger.debug({ group, topic, queueId, previous, offset }, "offset updated");
    queues.set(queueId, offset);
  }

  /** The committed offset, or -1 when the group never committed one for the queue. */
  queryOffset(group: string, topic: string, queueId: number): number {
    return this.#table.get(topic + TOPIC_GROUP_SEPARATOR + group)?.get(queueId) ?? -1;
  }

  /** Every group that committed an offset for `topic`. */
  whichGroupByTopic(topic: string): string[] {
    const groups: string[] = [];
    for (const key of this.#table.keys()) {
      const at = key.indexOf(TOPIC_GROUP_SEPARATOR);
      if (key.slice(0, at) === topic) groups.push(key.slice(at + 1));
    }
    return groups;
  }

  /** Writes consumerOffset.json atomically. @throws BrokerError PERSIST_FAILED. */
  persist(): Promise<void> {
    return this.#file.persist();
  }

  #serialize(): unknown {
    const offsetTable: Record<string, Record<string, number>> = {};
    for (const [key, queues] of this.#table)
      offsetTable[key] = Object.fromEntries(
        [...queues].map(([queueId, offset]) => [String(queueId), offset]),
      );
    return { offsetTable };
  }
}
