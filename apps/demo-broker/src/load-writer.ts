import type { BrokerObserver } from "@store/broker";
import type { MessageStore } from "@store/commitlog";
import { TOPIC_PATTERN } from "@store/commitlog";

/** Limits of one load run: every run is bounded in messages, size and puts in flight. */
export const LOAD_LIMITS = { maxMessages: 10_000_000, maxConcurrency: 1024, maxBodyBytes: 4 * 1024 * 1024 } as const;

/** A load run to start. */
export interface LoadRequest {
  readonly messages: number;
  /** Body size, bytes. */
  readonly size: number;
  /** Puts in flight at most. */
  readonly concurrency: number;
  readonly topic: string;
  /** Queues the messages are spread over (round robin). */
  readonly queues: number;
}

/** Progress of the current (or last) run. */
export interface LoadProgress {
  readonly running: boolean;
  readonly topic: string;
  readonly requested: number;
  /** Answered PUT_OK (or stored with a flush timeout). */
  readonly stored: number;
  readonly failed: number;
  /** The first failure's status and reason. */
  readonly firstFailure: string | null;
  readonly startedAt: number;
  readonly elapsedMs: number;
}

/** Why a run was refused. */
export type LoadRefusal = { readonly refused: "busy" | "invalid" | "stopped"; readonly reason: string };

/**
 * Writes messages into the store in-process, reporting each put to the broker observer as a send
 * would, so the metrics and the status page move without a client. One run at a time, at most
 * `concurrency` puts in flight.
 */
export class LoadWriter {
  readonly #store: MessageStore;
  readonly #observer: BrokerObserver;
  /** Progress before any run. */
  static readonly IDLE: LoadProgress = Object.freeze({
    running: false,
    topic: "",
    requested: 0,
    stored: 0,
    failed: 0,
    firstFailure: null,
    startedAt: 0,
    elapsedMs: 0,
  });
  #progress: LoadProgress = LoadWriter.IDLE;
  #run: Promise<void> | null = null;
  #stopping = false;

  constructor(store: MessageStore, observer: BrokerObserver) {
    this.#store = store;
    this.#observer = observer;
  }

  get progress(): LoadProgress {
    const p = this.#progress;
    return p.running ? { ...p, elapsedMs: Date.now() - p.startedAt } : { ...p };
  }

  /** Checks a request against the limits; null when it is acceptable. */
  static check(request: LoadRequest, maxMessageSize: number): string | null {
    const int = (value: number, min: number, max: number) => Number.isSafeInteger(value) && value >= min && value <= max;
    const maxMessages = LOAD_LIMITS.maxMessages;
    if (!int(request.messages, 1, maxMessages)) return `messages must be an integer in [1, ${maxMessages}]`;
    const maxSize = Math.min(maxMessageSize, LOAD_LIMITS.maxBodyBytes);
    if (!int(request.size, 1, maxSize)) return `size must be an integer number of bytes in [1, ${maxSize}]`;
    const maxConcurrency = LOAD_LIMITS.maxConcurrency;
    if (!int(request.concurrency, 1, maxConcurrency)) return `concurrency must be an integer in [1, ${maxConcurrency}]`;
    if (!int(request.queues, 1, 1024)) return "queues must be an integer in [1, 1024]";
    const topicOk = TOPIC_PATTERN.test(request.topic) && request.topic.length <= 127;
    if (!topicOk) return "topic must match ^[%|a-zA-Z0-9_-]+$, at most 127 characters";
    return null;
  }

  /** Starts a run in the background; refuses while one runs or after `stop()`. */
  start(request: LoadRequest): LoadProgress | LoadRefusal {
    if (this.#stopping) return { refused: "stopped", reason: "the broker is shutting down" };
    if (this.#run !== null) return { refused: "busy", reason: "a load run is in progress" };
    const problem = LoadWriter.check(request, this.#store.config.maxMessageSize);
    if (problem !== null) return { refused: "invalid", reason: problem };
    const startedAt = Date.now();
    this.#progress = { ...LoadWriter.IDLE, running: true, topic: request.topic, requested: request.messages, startedAt };
    this.#run = this.#write(request).catch((error: unknown) => this.#fail(`write failed: ${String(error)}`)).finally(() => {
      this.#progress = { ...this.#progress, running: false, elapsedMs: Date.now() - this.#progress.startedAt };
      this.#run = null;
    });
    return this.progress;
  }

  /** Stops issuing puts and waits for those in flight. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#run;
  }

  #fail(reason: string): void {
    const p = this.#progress;
    this.#progress = { ...p, failed: p.failed + 1, firstFailure: p.firstFailure ?? reason };
  }

  async #write(request: LoadRequest): Promise<void> {
    const body = Buffer.alloc(request.size, 0x61);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < request.messages && !this.#stopping) {
        const index = next++;
        const start = performance.now();
        const queueId = index % request.queues;
        const result = await this.#store.putMessage({ topic: request.topic, queueId, body, keys: `load-${index}` });
        const latencyMs = performance.now() - start;
        const event = { topic: request.topic, status: result.status, messages: 1, bodyBytes: request.size, latencyMs };
        this.#observer.messagesIn?.(event);
        if (result.status === "PUT_OK") this.#progress = { ...this.#progress, stored: this.#progress.stored + 1 };
        else this.#fail(`${result.status} ${result.reason ?? ""}`.trim());
      }
    };
    await Promise.all(Array.from({ length: Math.min(request.concurrency, request.messages) }, worker));
  }
}
