import { describe, expect, it } from "vitest";
import { StoreError, systemClock } from "@store/mapped-file";
import { VirtualClock } from "@store/mapped-file/testing";
import { DispatchWaiters } from "../src/dispatch-waiters.js";

const timeout = () => new StoreError("DISPATCH_TIMEOUT", "timed out");

describe("DispatchWaiters", () => {
  it("resolves each waiter once dispatch passes its offset, in any order of offsets", async () => {
    const waiters = new DispatchWaiters({ clock: systemClock });
    const settled: number[] = [];
    const at = (offset: number) =>
      waiters.wait(offset, undefined, timeout).then(() => settled.push(offset));
    const all = Promise.all([at(300), at(100), at(200)]);
    waiters.advance(150);
    await Promise.resolve();
    expect(settled).toEqual([100]);
    expect(waiters.size).toBe(2);
    waiters.advance(300);
    await all;
    expect(settled.sort((a, b) => a - b)).toEqual([100, 200, 300]);
    expect(waiters.size).toBe(0);
  });

  it("answers BUSY past its limit and takes waiters again once some resolved", async () => {
    const waiters = new DispatchWaiters({ clock: systemClock, limit: 2 });
    const first = waiters.wait(10, undefined, timeout);
    const second = waiters.wait(20, undefined, timeout);
    await expect(waiters.wait(30, undefined, timeout)).rejects.toMatchObject({
      name: "StoreError",
      code: "BUSY",
    });
    waiters.advance(10);
    await first;
    const third = waiters.wait(30, undefined, timeout);
    waiters.advance(30);
    await expect(Promise.all([second, third])).resolves.toHaveLength(2);
  });

  it("times out on its clock and forgets the waiter", async () => {
    const clock = new VirtualClock();
    const waiters = new DispatchWaiters({ clock });
    const waiting = waiters.wait(100, 50, timeout);
    const outcome = waiting.then(
      () => "resolved",
      (error: unknown) => (error as StoreError).code,
    );
    await clock.advance(49);
    expect(waiters.size).toBe(1);
    await clock.advance(1);
    expect(await outcome).toBe("DISPATCH_TIMEOUT");
    expect(waiters.size).toBe(0);
  });

  it("rejects every waiter on close, and later calls unless already satisfied", async () => {
    const waiters = new DispatchWaiters({ clock: systemClock });
    waiters.advance(50);
    const waiting = waiters.wait(100, undefined, timeout);
    waiters.close(new StoreError("STORE_CLOSED", "closed"));
    await expect(waiting).rejects.toMatchObject({ code: "STORE_CLOSED" });
    await expect(waiters.wait(100, undefined, timeout)).rejects.toMatchObject({
      code: "STORE_CLOSED",
    });
    await expect(waiters.wait(50, undefined, timeout)).resolves.toBeUndefined();
  });
});
