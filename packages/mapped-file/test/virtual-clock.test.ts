import { describe, expect, it } from "vitest";
import { systemClock } from "../src/index.js";
import { SimulatedDisk, VirtualClock } from "../src/testing.js";

describe("VirtualClock", () => {
  it("moves only when advanced, firing due timers in time order and ties in arming order", async () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b@20"), 20);
    clock.setTimeout(() => fired.push("a@10"), 10);
    clock.setTimeout(() => fired.push("c@20"), 20);
    const cleared = clock.setTimeout(() => fired.push("cleared"), 5);
    clock.clearTimeout(cleared);
    await clock.advance(9);
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(1009);
    await clock.advance(11);
    expect(fired).toEqual(["a@10", "b@20", "c@20"]);
    expect(clock.monotonic()).toBe(20);
    expect(clock.pendingTimers).toBe(0);
  });

  it("runs what a timer starts to completion before the next timer fires, at that timer's time", async () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 10));
        await Promise.resolve();
        seen.push(clock.now());
      }
    };
    const done = loop();
    await clock.advance(25);
    expect(seen).toEqual([10, 20]);
    expect(clock.nextTimerAt).toBe(30);
    await clock.advance(5);
    await done;
    expect(seen).toEqual([10, 20, 30]);
  });

  it("refuses an advance that would fire timers forever without time passing", async () => {
    const clock = new VirtualClock(0);
    const again = (): void => void clock.setTimeout(again, 0);
    again();
    await expect(clock.advance(0)).rejects.toThrow(/without time passing/);
  });

  it("times a simulated disk's fdatasync latency", async () => {
    const clock = new VirtualClock(0);
    const disk = new SimulatedDisk({ clock, fsyncLatencyMs: 7 });
    await disk.mkdir("/d");
    const fd = await disk.open("/d/a", true);
    let synced = false;
    const sync = disk.fdatasync(fd).then(() => (synced = true));
    await clock.advance(6);
    expect(synced).toBe(false);
    await clock.advance(1);
    await sync;
    expect(synced).toBe(true);
  });

  it("systemClock is real time", () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1000);
    const before = systemClock.monotonic();
    expect(systemClock.monotonic()).toBeGreaterThanOrEqual(before);
  });
});
