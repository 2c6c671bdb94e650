import { Worker } from "node:worker_threads";
import { crc32 } from "node:zlib";
import type { Logger } from "pino";
import { fillBodyCrcs } from "@store/message-codec";
import { fillPropertiesCrc } from "@store/message-codec";

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

/** How far one file's CRCs are asked for and done (bytes from the file's start). */
interface FileProgress {
  /** End of the ranges handed out: the next range starts here. */
  requested: number;
  /** Every CRC below this is filled. */
  done: number;
  /** Commits waiting for `done` to reach their `to`. */
  readonly waiters: { readonly to: number; readonly resolve: () => void; readonly reject: (error: Error) => void }[];
}

/** A range handed to the worker, kept until its reply so a failed worker's work can be redone. */
interface InFlight {
  readonly progress: FileProgress;
  readonly buffer: Buffer;
  readonly from: number;
  readonly to: number;
}

/**
 * The worker: fillBodyCrcs (body CRCs, then whole-record CRC properties) over each requested range of
 * a shared pool buffer, in place, in order.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { crc32 } = require("node:zlib");
const fillPropertiesCrc = ${fillPropertiesCrc.toString()};
const fillBodyCrcs = ${fillBodyCrcs.toString()};
parentPort.on("message", (request) => {
  try {
    fillBodyCrcs(new Uint8Array(request.memory, request.byteOffset, request.byteLength), request.from, request.to, crc32, fillPropertiesCrc);
    parentPort.postMessage({ id: request.id });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: String(error && error.message ? error.message : error) });
  }
});
`;

/**
 * Computes the body CRCs of pool-mode puts, and their whole-record CRC properties (which cover the
 * body CRC), on a worker thread instead of on the event loop. With
 * 1 KiB bodies the CRC was about a fifth of the put path's main-thread CPU; the worker runs it on the
 * other core, beside the kernel's copies of the commits.
 *
 * The pool tells `prefill` what each tick appended (its afterAppend), so the CRCs are computed while
 * the writer goes on; `fill` (the pool's beforeCommit) then usually finds its range done and only
 * asks for what is not. Ranges of one file are filled in order; progress is kept per file.
 *
 * The worker starts with the first range and holds the process open only while it has work. Buffers
 * that are not SharedArrayBuffer-backed, and every range after the worker failed or was terminated,
 * are filled on the calling thread: records never reach the file without their CRC.
 */
export class BodyCrcWorker {
  readonly #logger: Logger;
  readonly #source: string;
  readonly #progress = new WeakMap<object, FileProgress>();
  readonly #inFlight = new Map<number, InFlight>();
  #worker: Worker | null = null;
  #nextId = 0;
  #usable = true;

  /**
   * @param options.source - the worker's code; tests replace it with one that fails.
   * @param options.thread - false: no worker, every range is filled on the calling thread when a
   *   commit asks for it (prefill does nothing). Default true.
   */
  constructor(logger: Logger, options: { readonly source?: string; readonly thread?: boolean } = {}) {
    this.#logger = logger;
    this.#source = options.source ?? WORKER_SOURCE;
    this.#usable = options.thread ?? true;
  }

  /**
   * Starts filling `buffer[from, to)` of `file` (what a tick appended) without waiting for it.
   * Settles once the worker is done with it (errors are left to `fill`, which asks again).
   */
  prefill(file: object, buffer: Buffer, from: number, to: number): Promise<void> {
    if (!(buffer.buffer instanceof SharedArrayBuffer) || !this.#usable) return Promise.resolve();
    const progress = this.#progressOf(file, from);
    if (to <= progress.requested) return Promise.resolve();
    return new Promise<void>((resolve) => {
      progress.waiters.push({ to, resolve, reject: () => resolve() });
      this.#request(progress, buffer, to);
    });
  }

  /**
   * Fills the CRC of every message record in `buffer[from, to)` of `file` (whole records), or waits
   * for a prefill already under way.
   * @throws Error (rejects) when the range does not hold whole, well-formed records.
   */
  fill(file: object, buffer: Buffer, from: number, to: number): Promise<void> {
    const progress = this.#progressOf(file, from);
    if (to <= progress.done) return Promise.resolve();
    if (!(buffer.buffer instanceof SharedArrayBuffer) || !this.#usable) {
      const error = this.#fillHere(progress, buffer, progress.done, to);
      return error === null ? Promise.resolve() : Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      progress.waiters.push({ to, resolve, reject });
      if (to > progress.requested) this.#request(progress, buffer, to);
    });
  }

  /** Stops the worker; ranges still in flight (and every later one) are filled on this thread. */
  async terminate(): Promise<void> {
    this.#usable = false;
    const worker = this.#worker;
    this.#worker = null;
    if (worker !== null) {
      worker.removeAllListeners();
      await worker.terminate();
    }
    this.#redoInFlight();
  }

  /** A file's progress; a file seen for the first time starts where it is first asked about. */
  #progressOf(file: object, from: number): FileProgress {
    let progress = this.#progress.get(file);
    if (progress === undefined) {
      progress = { requested: from, done: from, waiters: [] };
      this.#progress.set(file, progress);
    }
    return progress;
  }

  /** Hands `[progress.requested, to)` to the worker. */
  #request(progress: FileProgress, buffer: Buffer, to: number): void {
    const from = progress.requested;
    progress.requested = to;
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    this.#inFlight.set(id, { progress, buffer, from, to });
    if (this.#inFlight.size === 1) worker.ref();
    const request: FillRequest = { id, memory: buffer.buffer as SharedArrayBuffer, byteOffset: buffer.byteOffset, byteLength: buffer.byteLength, from, to };
    worker.postMessage(request);
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
    const range = this.#inFlight.get(reply.id);
    if (range === undefined) return;
    this.#inFlight.delete(reply.id);
    if (this.#inFlight.size === 0) this.#worker?.unref();
    if (reply.error === undefined) this.#advance(range.progress, range.from, range.to);
    else this.#failRange(range.progress, range.from, new Error(reply.error));
  }

  /** `[from, to)` is filled: progress moves only if it continues what is done (ranges after a failed one wait). */
  #advance(progress: FileProgress, from: number, to: number): void {
    if (from !== progress.done) return;
    progress.done = to;
    const waiting = progress.waiters;
    for (let i = 0; i < waiting.length; ) {
      const waiter = waiting[i] as FileProgress["waiters"][number];
      if (waiter.to <= to) {
        waiting.splice(i, 1);
        waiter.resolve();
      } else i++;
    }
  }

  /** A range could not be filled: whoever waits past its start is told, and the next ask starts there again. */
  #failRange(progress: FileProgress, from: number, error: Error): void {
    if (from < progress.done) return;
    progress.requested = Math.min(progress.requested, from);
    const waiting = progress.waiters.splice(0);
    for (const waiter of waiting) waiter.reject(error);
  }

  /** Fills a range on this thread; returns why it could not, or null. */
  #fillHere(progress: FileProgress, buffer: Buffer, from: number, to: number): Error | null {
    try {
      fillBodyCrcs(buffer, from, to, crc32, fillPropertiesCrc);
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      this.#failRange(progress, from, error);
      return error;
    }
    progress.requested = Math.max(progress.requested, to);
    this.#advance(progress, from, to);
    return null;
  }

  #fail(reason: string): void {
    if (!this.#usable) return;
    this.#usable = false;
    this.#worker = null;
    this.#logger.warn({ reason }, "body CRCs are computed on the main thread from now on");
    this.#redoInFlight();
  }

  /** Redoes, in order, what the worker had not answered. */
  #redoInFlight(): void {
    const ranges = [...this.#inFlight.values()];
    this.#inFlight.clear();
    for (const { progress, buffer, from, to } of ranges) this.#fillHere(progress, buffer, from, to);
  }
}
