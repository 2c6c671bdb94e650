import { Worker } from "node:worker_threads";
import { crc32 } from "node:zlib";
import type { Logger } from "pino";
import { fillBodyCrcs } from "./codec/body-crc.js";

interface FillRequest {
  readonly id: number;
  readonly memory: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly from: number;
  readonly to: number;
}

interface FillReply {
  readonly id: number;
  readonly error?: string;
}

interface Pending {
  readonly buffer: Buffer;
  readonly from: number;
  readonly to: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The worker: fillBodyCrcs over each requested range of a shared pool buffer, in place. */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { crc32 } = require("node:zlib");
const fillBodyCrcs = ${fillBodyCrcs.toString()};
parentPort.on("message", (request) => {
  try {
    fillBodyCrcs(new Uint8Array(request.memory, request.byteOffset, request.byteLength), request.from, request.to, crc32);
    parentPort.postMessage({ id: request.id });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: String(error && error.message ? error.message : error) });
  }
});
`;

/**
 * Computes the body CRCs of pool-mode puts on a worker thread, at commit time (the pool's
 * `beforeCommit`), instead of on the event loop at put time. With 1 KiB bodies the CRC was about a
 * fifth of the put path's CPU on the main thread; the worker runs it on the other core, beside the
 * kernel's copies of the commits.
 *
 * The worker starts with the first range to fill and holds the process open only while it has work.
 * Buffers that are not SharedArrayBuffer-backed, and every range after the worker failed or was
 * terminated, are filled on the calling thread: records never reach the file without their CRC.
 */
export class BodyCrcWorker {
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | null = null;
  #nextId = 0;
  #usable = true;

  readonly #source: string;

  /** @param options.source - the worker's code; tests replace it with one that fails. */
  constructor(logger: Logger, options: { readonly source?: string } = {}) {
    this.#logger = logger;
    this.#source = options.source ?? WORKER_SOURCE;
  }

  /**
   * Fills the CRC of every message record in `buffer[from, to)` (whole records).
   * @throws Error (rejects) when the range does not hold whole, well-formed records.
   */
  fill(buffer: Buffer, from: number, to: number): Promise<void> {
    const memory = buffer.buffer;
    if (!(memory instanceof SharedArrayBuffer) || !this.#usable) return this.#fillHere(buffer, from, to);
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    const request: FillRequest = { id, memory, byteOffset: buffer.byteOffset, byteLength: buffer.byteLength, from, to };
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { buffer, from, to, resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage(request);
    });
  }

  /** Stops the worker; ranges still pending (and every later one) are filled on this thread. */
  async terminate(): Promise<void> {
    this.#usable = false;
    const worker = this.#worker;
    this.#worker = null;
    if (worker !== null) {
      worker.removeAllListeners();
      await worker.terminate();
    }
    this.#fillPendingHere();
  }

  #fillHere(buffer: Buffer, from: number, to: number): Promise<void> {
    try {
      fillBodyCrcs(buffer, from, to, crc32);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #start(): Worker {
    const worker = new Worker(this.#source, { eval: true });
    worker.unref();
    worker.on("message", (reply: FillReply) => this.#settle(reply));
    // A worker that fails or exits takes none of the work with it: what it had is redone here.
    worker.on("error", (error) => this.#fail(`the body CRC worker failed: ${error.message}`));
    worker.on("exit", (code) => this.#fail(`the body CRC worker exited (code ${code})`));
    this.#worker = worker;
    return worker;
  }

  #settle(reply: FillReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    if (reply.error === undefined) pending.resolve();
    else pending.reject(new Error(reply.error));
  }

  #fail(reason: string): void {
    if (!this.#usable) return;
    this.#usable = false;
    this.#worker = null;
    this.#logger.warn({ reason }, "body CRCs are computed on the main thread from now on");
    this.#fillPendingHere();
  }

  #fillPendingHere(): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const { buffer, from, to, resolve, reject } of pending) this.#fillHere(buffer, from, to).then(resolve, reject);
  }
}
