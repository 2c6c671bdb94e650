import { join } from "node:path";
import {
  decodeMessage,
  PROPERTY_DELAY_TIME_LEVEL,
  PROPERTY_REAL_QUEUE_ID,
  PROPERTY_REAL_TOPIC,
  SCHEDULE_TOPIC,
} from "@store/message-codec";
import type { DecodedMessage, MessageInput } from "@store/message-codec";
import type { MessageStore } from "@store/commitlog";
import type { Logger } from "pino";
import { BrokerError } from "../broker-error.js";
import { asObject, readJsonFile } from "../json-file.js";
import { PersistedFile } from "../persisted-file.js";
import { invalidNameReason } from "../topic/topic-config.js";

/** How long a level waits before it retries a failed put, ms (RocketMQ's DELAY_FOR_A_PERIOD is 10 s). */
const RETRY_AFTER_FAILURE_MS = 1000;
/** Longest wait for a level with nothing due when no dispatch wakes it, ms. */
const IDLE_POLL_MS = 1000;
/** Messages read per round. */
const BATCH = 32;

export interface ScheduleMessageServiceOptions {
  readonly store: MessageStore;
  /** Delay per level, ms (level n at index n-1). */
  readonly delayLevelTableMs: readonly number[];
  /** The `config` directory: per-level progress is kept in `delayOffset.json`. */
  readonly configDir: string;
  readonly logger: Logger;
}

/**
 * Delivers delayed messages (ScheduleMessageService.java): each delay level is a queue of
 * SCHEDULE_TOPIC_XXXX read in order; a message whose store time plus the level's delay has passed is
 * put back to its REAL_TOPIC / REAL_QID. Each level's next offset is persisted in
 * config/delayOffset.json (`{"offsetTable":{"<level>":<offset>}}`) by `persist()` and at shutdown,
 * so delivery resumes after a restart (a crash may deliver a message twice, never lose it).
 */
export class ScheduleMessageService {
  readonly #options: ScheduleMessageServiceOptions;
  readonly #offsets = new Map<number, number>();
  readonly #timers = new Map<number, NodeJS.Timeout>();
  readonly #running = new Map<number, Promise<void>>();
  readonly #file: PersistedFile;
  #started = false;

  constructor(options: ScheduleMessageServiceOptions) {
    this.#options = options;
    this.#file = new PersistedFile(
      join(options.configDir, "delayOffset.json"),
      () => this.#serialize(),
      options.logger,
    );
  }

  /** Loads delayOffset.json (absent: every level from 0). @throws BrokerError CONFIG_FILE_CORRUPT. */
  async load(): Promise<void> {
    const path = join(this.#options.configDir, "delayOffset.json");
    const json = asObject(await readJsonFile(path));
    if (json === null) return;
    const table = asObject(json.offsetTable);
    if (table === null)
      throw new BrokerError("CONFIG_FILE_CORRUPT", `${path}: offsetTable is missing`);
    for (const [level, offset] of Object.entries(table)) {
      if (
        !/^\d+$/.test(level) ||
        typeof offset !== "number" ||
        !Number.isSafeInteger(offset) ||
        offset < 0
      ) {
        throw new BrokerError(
          "CONFIG_FILE_CORRUPT",
          `${path}: level ${level} has offset ${JSON.stringify(offset)}`,
        );
      }
      this.#offsets.set(Number(level), offset);
    }
  }

  /** The next offset of a level's queue to deliver. */
  offsetOf(level: number): number {
    return this.#offsets.get(level) ?? 0;
  }

  /** Starts delivering every level. */
  start(): void {
    this.#started = true;
    for (let level = 1; level <= this.#options.delayLevelTableMs.length; level++) this.#wake(level);
  }

  /** A message reached SCHEDULE_TOPIC_XXXX queue `queueId` (level queueId + 1): look at once. */
  notifyMessageArriving(queueId: number): void {
    if (this.#started) this.#wake(queueId + 1);
  }

  /** Writes delayOffset.json atomically. @throws BrokerError PERSIST_FAILED. */
  persist(): Promise<void> {
    return this.#file.persist();
  }

  /** Stops delivering, waits for puts under way, then persists the offsets. */
  async shutdown(): Promise<void> {
    this.#started = false;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(this.#running.values());
    await this.persist();
  }

  #wake(level: number): void {
    if (!this.#started || this.#running.has(level)) return;
    const timer = this.#timers.get(level);
    if (timer !== undefined) clearTimeout(timer);
    this.#timers.delete(level);
    const run = this.#deliverLevel(level)
      .catch((error: unknown) => {
        this.#options.logger.error({ err: error, level }, "delayed delivery failed; retrying");
        return RETRY_AFTER_FAILURE_MS;
      })
      .then((waitMs) => {
        this.#running.delete(level);
        if (!this.#started) return;
        if (waitMs === 0) this.#wake(level);
        else this.#timers.set(level, setTimeout(() => this.#wake(level), waitMs).unref());
      });
    this.#running.set(level, run);
  }

  /** Delivers what is due on one level; resolves how long to wait before looking again (0: at once). */
  async #deliverLevel(level: number): Promise<number> {
    const { store, delayLevelTableMs, logger } = this.#options;
    const delayMs = delayLevelTableMs[level - 1] as number;
    const offset = this.offsetOf(level);
    const result = await store.getMessage(
      "SCHEDULE_MESSAGE_SERVICE",
      SCHEDULE_TOPIC,
      level - 1,
      offset,
      BATCH,
    );
    if (result.messages.length === 0) {
      if (result.nextBeginOffset !== offset && result.status !== "NO_MESSAGE_IN_QUEUE") {
        this.#offsets.set(level, result.nextBeginOffset);
        return 0;
      }
      return IDLE_POLL_MS;
    }
    for (const record of result.messages) {
      const decoded = decodeMessage(record, 0, { checkCRC: false });
      if (!decoded.ok) {
        logger.error({ level, offset: this.offsetOf(level) }, "unreadable delayed message skipped");
        this.#offsets.set(level, this.offsetOf(level) + 1);
        continue;
      }
      const message = decoded.message;
      const dueInMs = message.storeTimestamp + delayMs - Date.now();
      if (dueInMs > 0 && this.#started) return Math.min(dueInMs, delayMs);
      if (!this.#started) return IDLE_POLL_MS;
      const input = realMessageOf(message);
      if (input === null) {
        logger.error(
          { level, queueOffset: message.queueOffset },
          "delayed message without a valid REAL_TOPIC / REAL_QID skipped",
        );
      } else {
        const put = await store.putMessage(input);
        if (put.status !== "PUT_OK" && put.status !== "FLUSH_DISK_TIMEOUT") {
          logger.warn(
            { level, status: put.status, reason: put.reason },
            "delayed message put failed; retrying",
          );
          return RETRY_AFTER_FAILURE_MS;
        }
      }
      this.#offsets.set(level, message.queueOffset + 1);
    }
    return 0;
  }

  #serialize(): unknown {
    return {
      offsetTable: Object.fromEntries(
        [...this.#offsets].map(([level, offset]) => [String(level), offset]),
      ),
    };
  }
}

/** The message as it goes back to its real topic and queue, DELAY and the parking properties removed. */
function realMessageOf(message: DecodedMessage): MessageInput | null {
  const properties: Record<string, string> = { ...message.properties };
  const topic = properties[PROPERTY_REAL_TOPIC];
  const queueIdText = properties[PROPERTY_REAL_QUEUE_ID];
  if (
    topic === undefined ||
    invalidNameReason(topic) !== null ||
    queueIdText === undefined ||
    !/^\d{1,9}$/.test(queueIdText)
  )
    return null;
  delete properties[PROPERTY_REAL_TOPIC];
  delete properties[PROPERTY_REAL_QUEUE_ID];
  delete properties[PROPERTY_DELAY_TIME_LEVEL];
  return {
    topic,
    queueId: Number(queueIdText),
    body: message.body,
    flag: message.flag,
    properties,
    bornTimestamp: message.bornTimestamp,
    bornHost: message.bornHost,
    sysFlag: message.sysFlag,
    reconsumeTimes: message.reconsumeTimes,
  };
}
