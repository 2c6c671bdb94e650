import type { MessageStoreConfigInput } from "@store/commitlog";
import type { MessageInput } from "@store/message-codec";
import { MessageStore } from "@store/commitlog";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { pino } from "pino";
import { expect } from "vitest";
import type { PopClock, PopServiceOptions } from "../../src/index.js";
import { PopService, retryTopicOf } from "../../src/index.js";

export const silentLogger = pino({ level: "silent" });
export const ROOT = "/store";

/** A clock the test moves by hand. */
export class ManualClock implements PopClock {
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Polls `condition` until true or `timeoutMs` passes. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function openStore(
  disk: SimulatedDisk,
  config: MessageStoreConfigInput = {},
): Promise<MessageStore> {
  return MessageStore.open(
    {
      storePathRootDir: ROOT,
      mappedFileSizeCommitLog: 256 * 1024,
      mappedFileSizeConsumeQueue: 400 * 20,
      flushIntervalCommitLog: 5,
      flushIntervalConsumeQueue: 5,
      ...config,
    },
    { io: disk, logger: silentLogger },
  );
}

/** A store, a pop service over it, a hand-moved clock, topics with their queue counts. */
export class PopHarness {
  readonly disk: SimulatedDisk;
  readonly clock: ManualClock;
  readonly topics = new Map<string, number>();
  store!: MessageStore;
  pop!: PopService;
  readonly #options: Partial<PopServiceOptions>;

  constructor(
    options: Partial<PopServiceOptions> = {},
    disk = new SimulatedDisk(),
    clock = new ManualClock(),
  ) {
    this.disk = disk;
    this.clock = clock;
    this.#options = options;
  }

  static async open(options: Partial<PopServiceOptions> = {}): Promise<PopHarness> {
    const harness = new PopHarness(options);
    await harness.start();
    return harness;
  }

  async start(): Promise<void> {
    this.store = await openStore(this.disk);
    this.pop = new PopService({
      store: this.store,
      topics: {
        readQueueNums: (topic) => this.topics.get(topic) ?? (topic.startsWith("%RETRY%") ? 1 : 0),
      },
      storePathRootDir: ROOT,
      io: this.disk,
      clock: this.clock,
      logger: silentLogger,
      ...this.#options,
    });
    await this.pop.start();
  }

  /** Graceful stop of the pop service and the store. */
  async stop(): Promise<void> {
    await this.pop.shutdown();
    await this.store.shutdown();
  }

  /** Puts a message into `topic` queue `queueId` and waits until it is dispatched. */
  async put(topic: string, body: string, extra: Partial<MessageInput> = {}): Promise<void> {
    const queueId = extra.queueId ?? 0;
    const before = this.store.getMaxOffsetInQueue(topic, queueId);
    const result = await this.store.putMessage({
      topic,
      body: Buffer.from(body),
      queueId,
      ...extra,
    });
    expect(result.status, result.reason).toBe("PUT_OK");
    await waitFor(() => this.store.getMaxOffsetInQueue(topic, queueId) > before);
  }

  /** Waits until the group's retry (or any) topic queue 0 holds `count` messages. */
  async waitQueue(topic: string, count: number): Promise<void> {
    await waitFor(() => this.store.getMaxOffsetInQueue(topic, 0) >= count);
  }

  retryCount(group: string): number {
    return this.store.getMaxOffsetInQueue(retryTopicOf(group), 0);
  }
}
