import assert from "node:assert/strict";
import type { Clock, ClockTimer } from "@store/mapped-file";
import { systemClock } from "@store/mapped-file";
import type { Logger } from "pino";
import { defaultLogger, errorCode } from "./logger.js";

/** RocketMQ's `ServiceThread.JOIN_TIME`: how long `shutdown()` waits for the loop by default, ms. */
export const JOIN_TIME_MS = 90_000;

/** Repeated loop errors with the same code are logged at most once per this interval, ms. */
const ERROR_LOG_INTERVAL_MS = 1000;

const RESOLVED: Promise<void> = Promise.resolve();

/** What every service loop takes: its logger and clock. */
export interface ServiceThreadOptions {
  /** Where loop errors and lifecycle messages go. Default: a silent pino logger. */
  readonly logger?: Logger;
  /** Upper bound on how long `shutdown()` waits for the loop to end, ms. Default: the service's own. */
  readonly joinTimeMs?: number;
  /** Time for the waits, sleeps and deadlines. Default: real time. */
  readonly clock?: Clock;
}

/**
 * RocketMQ's ServiceThread as an async loop: `run()` loops until `isStopped`, pausing in
 * `waitForRunning(intervalMs)`, which a `wakeup()` ends early. There are no threads and no busy waits:
 * a wait is one timer plus one promise.
 *
 * hasNotified semantics: a `wakeup()` that arrives while the loop is not waiting is remembered once,
 * so the next `waitForRunning` returns at once; any number of wakeups before it collapse into one.
 * `onWaitEnd()` runs on every exit from `waitForRunning`, woken or timed out.
 *
 * The service is restartable: `start()` after `shutdown()` runs `run()` again.
 */
export abstract class ServiceThread {
  protected readonly logger: Logger;
  /** Where the loop's waits and the subclass's deadlines read the time. */
  protected readonly clock: Clock;
  readonly #joinTimeMs: number | undefined;
  #started = false;
  #stopped = false;
  #hasNotified = false;
  /** Mirrors RocketMQ's `waitPoint` latch count: 1 while a wait may block, 0 once woken. */
  #waitPointCount = 1;
  #wake: (() => void) | null = null;
  #interruptSleep: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #running = false;
  #joining: Promise<void> | null = null;
  #lastErrorCode = "";
  #lastErrorLogMs = Number.NEGATIVE_INFINITY;
  #suppressedErrors = 0;
  /** When the current run of failed rounds began (`clock.monotonic()`, ms); null while healthy. */
  #failingSinceMs: number | null = null;
  #lastError: unknown = null;

  protected constructor(options: ServiceThreadOptions = {}) {
    this.#joinTimeMs = options.joinTimeMs;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? defaultLogger()).child({ service: this.serviceName });
  }

  /** The name in logs. Default: the class name, as RocketMQ's `getServiceName()`. */
  get serviceName(): string {
    return this.constructor.name;
  }

  /** How long `shutdown()` waits for the loop, ms. Services override the RocketMQ default (90 s). */
  protected get defaultJoinTimeMs(): number {
    return JOIN_TIME_MS;
  }

  /** True once `shutdown()` (or `makeStop()`) was called and until the next `start()`. */
  get isStopped(): boolean {
    return this.#stopped;
  }

  /**
   * The error of the last failed round (a StoreError DISK_FULL or IO_ERROR from the queue), or null
   * once a round succeeds. A failed fdatasync poisons its file (MappedFile refuses to flush it again),
   * so a non-null value that persists tells the layer above to stop taking writes.
   */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** The loop body: runs until `isStopped`, then does any final work (drain, last flush). */
  protected abstract run(): Promise<void>;

  /**
   * Starts the loop; a no-op when already started. If a previous loop outlived its join time, the new
   * one starts when it ends, so two loops never run at once.
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#joining = null;
    if (!this.#running) {
      this.#stopped = false;
      this.#loop = this.#runLoop();
      return;
    }
    this.#loop = (this.#loop ?? RESOLVED).then(() => {
      if (!this.#started) return;
      this.#stopped = false;
      return this.#runLoop();
    });
  }

  /**
   * Stops the loop: sets `isStopped`, wakes any wait, and resolves once `run()` returned (its final
   * work included) or after the join time, whichever comes first. Calling it again returns the same
   * promise; calling it on a service never started resolves at once.
   */
  shutdown(): Promise<void> {
    if (!this.#started) return this.#joining ?? RESOLVED;
    this.#started = false;
    this.#stopped = true;
    this.wakeup();
    this.#interruptSleep?.();
    this.#joining = this.#join(this.#loop ?? RESOLVED);
    return this.#joining;
  }

  /** Sets `isStopped` without waking the loop (RocketMQ's `makeStop`). */
  makeStop(): void {
    if (this.#started) this.#stopped = true;
  }

  /**
   * Ends the current `waitForRunning` at once, or makes the next one return at once. Wakeups collapse:
   * many before the next wait count as one.
   */
  wakeup(): void {
    if (this.#hasNotified) return;
    this.#hasNotified = true;
    this.#waitPointCount = 0;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Whether a wakeup is pending (RocketMQ's `hasNotified`). */
  protected get hasNotified(): boolean {
    return this.#hasNotified;
  }

  /** RocketMQ's `waitPoint.getCount()`: 1 after a wait that timed out, 0 after a wakeup. */
  protected get waitPointCount(): number {
    return this.#waitPointCount;
  }

  /**
   * Waits up to `intervalMs` (`Infinity`: until woken) or until `wakeup()`. Returns at once if a wakeup
   * arrived since the last wait. Calls `onWaitEnd()` on every exit, in the loop's own continuation (as
   * RocketMQ's service thread does after its await), not inside the `wakeup()` call: everything queued
   * in the same tick as the waking call is there when `onWaitEnd` runs.
   */
  protected async waitForRunning(intervalMs: number): Promise<void> {
    assert(intervalMs >= 0, "waitForRunning: negative interval");
    assert(this.#wake === null, "waitForRunning: a wait is already in progress");
    if (this.#hasNotified) {
      this.#hasNotified = false;
      this.onWaitEnd();
      return;
    }
    this.#waitPointCount = 1;
    await new Promise<void>((resolve) => {
      let timer: ClockTimer | undefined;
      if (Number.isFinite(intervalMs)) {
        timer = this.clock.setTimeout(() => {
          this.#wake = null;
          resolve();
        }, intervalMs);
      }
      this.#wake = () => {
        this.clock.clearTimeout(timer);
        resolve();
      };
    });
    this.#hasNotified = false;
    this.onWaitEnd();
  }

  /** Called on every exit from `waitForRunning` (GroupCommitService swaps its request lists here). */
  protected onWaitEnd(): void {
    // no-op by default
  }

  /** Ends a `sleep()` in progress now (a no-op when not sleeping). */
  protected interruptSleep(): void {
    this.#interruptSleep?.();
  }

  /**
   * A plain sleep that `wakeup()` does not end (RocketMQ's `Thread.sleep` in the timed flush loop).
   * Only `shutdown()` cuts it short (and a subclass, through `interruptSleep()`), so stopping never
   * waits for a whole interval.
   */
  protected sleep(intervalMs: number): Promise<void> {
    if (this.#stopped) return RESOLVED;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.clock.clearTimeout(timer);
        this.#interruptSleep = null;
        resolve();
      };
      const timer = this.clock.setTimeout(done, intervalMs);
      this.#interruptSleep = done;
    });
  }

  /**
   * Logs an error caught in the loop. The same code repeating is logged at most once a second, with
   * the count of the ones left out, so a failing disk does not flood the log.
   */
  protected logLoopError(error: unknown, message: string): void {
    this.#lastError = error;
    const code = errorCode(error);
    const now = this.clock.monotonic();
    this.#failingSinceMs ??= now;
    if (code === this.#lastErrorCode && now - this.#lastErrorLogMs < ERROR_LOG_INTERVAL_MS) {
      this.#suppressedErrors++;
      return;
    }
    this.logger.error({ err: error, code, suppressed: this.#suppressedErrors }, message);
    this.#lastErrorCode = code;
    this.#lastErrorLogMs = now;
    this.#suppressedErrors = 0;
  }

  /** Notes a successful round; logs once when the loop recovers from errors. */
  protected noteLoopSuccess(): void {
    this.#lastError = null;
    if (this.#failingSinceMs === null) return;
    this.logger.info(
      { failingMs: this.clock.monotonic() - this.#failingSinceMs },
      `${this.serviceName} recovered`,
    );
    this.#failingSinceMs = null;
    this.#lastErrorCode = "";
    this.#suppressedErrors = 0;
  }

  async #runLoop(): Promise<void> {
    this.#running = true;
    try {
      await RESOLVED; // let start() return before the loop does anything
      this.logger.info(`${this.serviceName} service started`);
      await this.run();
    } catch (error) {
      this.logger.error({ err: error }, `${this.serviceName} loop ended by an error`);
    } finally {
      this.#running = false;
    }
    this.logger.info(`${this.serviceName} service end`);
  }

  async #join(loop: Promise<void>): Promise<void> {
    const joinTimeMs = this.#joinTimeMs ?? this.defaultJoinTimeMs;
    let timer: ClockTimer | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(true), joinTimeMs);
    });
    const late = await Promise.race([loop.then(() => false), timedOut]);
    this.clock.clearTimeout(timer);
    if (late)
      this.logger.warn({ joinTimeMs }, `${this.serviceName} did not stop within its join time`);
  }
}
