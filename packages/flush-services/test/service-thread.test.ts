import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ServiceThread } from "../src/service-thread.js";
import type { ServiceThreadOptions } from "../src/service-thread.js";

/** A service whose loop waits `intervalMs` per round and counts rounds; exposes the protected state. */
class CountingService extends ServiceThread {
  rounds = 0;
  waitEnds = 0;
  runs = 0;
  constructor(
    readonly intervalMs = 100,
    options: ServiceThreadOptions = {},
  ) {
    super(options);
  }
  protected async run(): Promise<void> {
    this.runs++;
    while (!this.isStopped) {
      await this.waitForRunning(this.intervalMs);
      this.rounds++;
    }
  }
  protected override onWaitEnd(): void {
    this.waitEnds++;
  }
  get notified(): boolean {
    return this.hasNotified;
  }
  get count(): number {
    return this.waitPointCount;
  }
  wait(ms: number): Promise<void> {
    return this.waitForRunning(ms);
  }
  nap(ms: number): Promise<void> {
    return this.sleep(ms);
  }
}

/** A service that is never started: its waits are driven by the test. */
class IdleService extends CountingService {
  protected override run(): Promise<void> {
    return new Promise<void>(() => undefined);
  }
}

describe("ServiceThread", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is not stopped after start()", async () => {
    const service = new CountingService();
    service.start();
    expect(service.isStopped).toBe(false);
    await service.shutdown();
  });

  it("shutdown() stops, notifies and counts the wait point down, also twice in a row", async () => {
    const service = new CountingService();
    service.start();
    await service.shutdown();
    expect(service.isStopped).toBe(true);
    expect(service.notified).toBe(true);
    expect(service.count).toBe(0);
    await service.shutdown();
    expect(service.isStopped).toBe(true);
    expect(service.notified).toBe(true);
    expect(service.count).toBe(0);
  });

  it("shutdown() awaits the end of the loop", async () => {
    const service = new CountingService(1_000_000);
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    const before = service.rounds;
    await service.shutdown();
    expect(service.rounds).toBe(before + 1); // the wait was cut short and the loop ran to its end
  });

  it("makeStop() sets isStopped without waking the loop", async () => {
    const service = new CountingService(1000);
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    service.makeStop();
    expect(service.isStopped).toBe(true);
    expect(service.notified).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    await service.shutdown();
  });

  it("wakeup() sets hasNotified and counts the wait point down", () => {
    const service = new IdleService();
    service.wakeup();
    expect(service.notified).toBe(true);
    expect(service.count).toBe(0);
  });

  it("waitForRunning follows RocketMQ's hasNotified protocol", async () => {
    const service = new IdleService();
    const timedOut = service.wait(1000);
    await vi.advanceTimersByTimeAsync(1000);
    await timedOut;
    expect([service.notified, service.count]).toEqual([false, 1]);

    service.wakeup();
    expect([service.notified, service.count]).toEqual([true, 0]);

    await service.wait(1000); // returns at once: no timer advanced
    expect([service.notified, service.count]).toEqual([false, 0]);

    let done = false;
    const again = service.wait(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    expect([service.notified, service.count]).toEqual([false, 1]);
    await vi.advanceTimersByTimeAsync(1);
    await again;
    expect(done).toBe(true);
  });

  it("a wakeup during a wait ends it at once", async () => {
    const service = new IdleService();
    let done = false;
    const waiting = service.wait(60_000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(5);
    expect(done).toBe(false);
    service.wakeup();
    await waiting;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0); // its timer was cleared
  });

  it("runs onWaitEnd in the loop's continuation, not inside the waking call", async () => {
    const service = new IdleService();
    const waiting = service.wait(60_000);
    service.wakeup();
    service.wakeup(); // later work of the same tick still precedes onWaitEnd
    expect(service.waitEnds).toBe(0);
    await waiting;
    expect(service.waitEnds).toBe(1);
  });

  it("many wakeups before a wait collapse into one", async () => {
    const service = new IdleService();
    for (let i = 0; i < 5; i++) service.wakeup();
    await service.wait(1000);
    let done = false;
    const second = service.wait(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await second;
  });

  it("calls onWaitEnd on every exit: timeout, wakeup, and immediate return", async () => {
    const service = new IdleService();
    const timeout = service.wait(10);
    await vi.advanceTimersByTimeAsync(10);
    await timeout;
    const woken = service.wait(10);
    service.wakeup();
    await woken;
    service.wakeup();
    await service.wait(10);
    expect(service.waitEnds).toBe(3);
  });

  it("waits with timers, never spins: one round per interval", async () => {
    const service = new CountingService(100);
    service.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(service.rounds).toBe(10);
    expect(vi.getTimerCount()).toBe(1);
    await service.shutdown();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("waitForRunning(Infinity) uses no timer and ends on wakeup", async () => {
    const service = new IdleService();
    const waiting = service.wait(Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(0);
    service.wakeup();
    await waiting;
  });

  it("is restartable", async () => {
    const service = new CountingService(100);
    service.start();
    await vi.advanceTimersByTimeAsync(250);
    await service.shutdown();
    service.start();
    expect(service.isStopped).toBe(false);
    await vi.advanceTimersByTimeAsync(250);
    expect(service.runs).toBe(2);
    await service.shutdown();
    expect(service.isStopped).toBe(true);
  });

  it("start() twice runs one loop", async () => {
    const service = new CountingService(100);
    service.start();
    service.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(service.runs).toBe(1);
    expect(service.rounds).toBe(10);
    await service.shutdown();
  });

  it("shutdown() gives up after the join time when the loop hangs, and a restart waits for it", async () => {
    let release = (): void => undefined;
    class Hanging extends CountingService {
      protected override async run(): Promise<void> {
        this.runs++;
        if (this.runs === 1) await new Promise<void>((resolve) => (release = resolve));
      }
    }
    const service = new Hanging(100, { joinTimeMs: 5000 });
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    let joined = false;
    const stopping = service.shutdown().then(() => (joined = true));
    await vi.advanceTimersByTimeAsync(4999);
    expect(joined).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(joined).toBe(true);

    service.start(); // the first loop is still running: the second waits for it
    await vi.advanceTimersByTimeAsync(100);
    expect(service.runs).toBe(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(service.runs).toBe(2);
    await service.shutdown();
  });

  it("sleep() ignores wakeup() but ends on shutdown()", async () => {
    class Sleeper extends CountingService {
      protected override async run(): Promise<void> {
        while (!this.isStopped) {
          await this.nap(1000);
          this.rounds++;
        }
      }
    }
    const service = new Sleeper();
    service.start();
    await vi.advanceTimersByTimeAsync(10);
    service.wakeup();
    await vi.advanceTimersByTimeAsync(10);
    expect(service.rounds).toBe(0);
    await vi.advanceTimersByTimeAsync(980);
    expect(service.rounds).toBe(1);
    await service.shutdown(); // no timer advanced: the sleep was cut short
    expect(service.rounds).toBe(2);
  });

  it("a loop that throws ends without an unhandled rejection", async () => {
    class Throwing extends CountingService {
      protected override run(): Promise<void> {
        return Promise.reject(new Error("boom"));
      }
    }
    const service = new Throwing();
    service.start();
    await vi.advanceTimersByTimeAsync(0);
    await service.shutdown();
    expect(service.isStopped).toBe(true);
  });
});
