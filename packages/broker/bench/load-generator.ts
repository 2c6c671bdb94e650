// The load generator: `producers` concurrent producers, each with one SEND_MESSAGE_V2 outstanding at a
// time, spread round-robin over `connections` sockets (pipelined: a connection carries the requests
// of all its producers at once). Raw node:net with pre-built frames, so its own cost per request is
// a few µs and the server is what is measured.
import { connect } from "node:net";
import type { Socket } from "node:net";
import { FrameSplitter } from "./frame-splitter.js";
import { readResponseHead, sendRequestTemplate, stampOpaque } from "./send-frames.js";
import type { FrameTemplate } from "./send-frames.js";

export interface LoadOptions {
  readonly port: number;
  readonly producers: number;
  readonly connections: number;
  readonly bodySize: number;
}

/** What happened inside the measurement window. */
export interface WindowResult {
  readonly seconds: number;
  readonly messages: number;
  /** Responses with a code other than SUCCESS. */
  readonly errors: number;
  /** Request latencies of the window, ms, unsorted. */
  readonly latenciesMs: Float64Array;
}

const MAX_PRODUCERS_PER_CONNECTION = 256;

interface Producer {
  readonly template: FrameTemplate;
  readonly socket: Socket;
  readonly local: number;
  sentAt: number;
  sequence: number;
}

/** A running load: open it, let it warm up, then `measure(ms)`, then `stop()`. */
export class LoadGenerator {
  readonly #sockets: Socket[] = [];
  readonly #producers: Producer[][] = [];
  #running = true;
  #recording = false;
  #messages = 0;
  #errors = 0;
  #latencies = new Float64Array(1 << 16);
  #latencyCount = 0;
  #outstanding = 0;
  #drained: (() => void) | null = null;
  #failure: Error | null = null;

  private constructor() {}

  /** Connects and starts every producer. */
  static async start(options: LoadOptions): Promise<LoadGenerator> {
    const generator = new LoadGenerator();
    const connections = Math.min(options.connections, options.producers);
    if (Math.ceil(options.producers / connections) > MAX_PRODUCERS_PER_CONNECTION)
      throw new Error("too many producers per connection");
    for (let c = 0; c < connections; c++)
      generator.#sockets.push(await generator.#connect(options.port, c));
    for (let p = 0; p < options.producers; p++) {
      const c = p % connections;
      const socket = generator.#sockets[c]!;
      const producer: Producer = {
        template: sendRequestTemplate(options.bodySize, p % 4),
        socket,
        local: generator.#producers[c]!.length,
        sentAt: 0,
        sequence: 0,
      };
      generator.#producers[c]!.push(producer);
    }
    for (const producer of generator.#producers.flat()) generator.#send(producer);
    return generator;
  }

  /** Runs the window for `ms` and returns what it measured. */
  async measure(ms: number): Promise<WindowResult> {
    this.#messages = 0;
    this.#errors = 0;
    this.#latencyCount = 0;
    const started = performance.now();
    this.#recording = true;
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.#recording = false;
    const seconds = (performance.now() - started) / 1000;
    if (this.#failure !== null) throw this.#failure;
    return {
      seconds,
      messages: this.#messages,
      errors: this.#errors,
      latenciesMs: this.#latencies.slice(0, this.#latencyCount),
    };
  }

  /** Stops sending, waits (≤ 30 s) for the outstanding answers, and closes. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#outstanding > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const socket of this.#sockets) socket.destroy();
  }

  #connect(port: number, index: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: "127.0.0.1", noDelay: true }, () => resolve(socket));
      socket.once("error", reject);
      this.#producers[index] = [];
      const splitter = new FrameSplitter((data, start, end) =>
        this.#onResponse(index, data, start, end),
      );
      socket.on("data", (chunk: Buffer) => splitter.push(chunk));
      socket.on("close", () => {
        if (this.#running) this.#failure ??= new Error(`connection ${index} closed by the server`);
      });
    });
  }

  #send(producer: Producer): void {
    producer.sequence++;
    stampOpaque(
      producer.template.frame,
      producer.template.opaqueAt,
      producer.sequence * MAX_PRODUCERS_PER_CONNECTION + producer.local,
    );
    producer.sentAt = performance.now();
    this.#outstanding++;
    producer.socket.write(producer.template.frame);
  }

  #onResponse(connection: number, data: Buffer, start: number, end: number): void {
    const now = performance.now();
    const { code, opaque } = readResponseHead(data, start, end);
    const producer = this.#producers[connection]![opaque % MAX_PRODUCERS_PER_CONNECTION];
    if (
      producer === undefined ||
      Math.floor(opaque / MAX_PRODUCERS_PER_CONNECTION) !== producer.sequence
    ) {
      this.#failure ??= new Error(
        `unexpected response opaque ${opaque} on connection ${connection}`,
      );
      return;
    }
    this.#outstanding--;
    if (this.#recording) {
      this.#messages++;
      if (code !== 0) this.#errors++;
      this.#record(now - producer.sentAt);
    }
    if (this.#running) this.#send(producer);
    else if (this.#outstanding === 0) this.#drained?.();
  }

  #record(latencyMs: number): void {
    if (this.#latencyCount === this.#latencies.length) {
      const grown = new Float64Array(this.#latencies.length * 2);
      grown.set(this.#latencies);
      this.#latencies = grown;
    }
    this.#latencies[this.#latencyCount++] = latencyMs;
  }
}
