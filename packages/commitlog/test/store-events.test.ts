import { SimulatedDisk } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { StoreCheckpoint } from "../src/store-checkpoint.js";
import { StoreEvents } from "../src/store-events.js";
import { silentLogger } from "./helpers.js";

async function events(): Promise<{
  events: StoreEvents;
  checkpoint: StoreCheckpoint;
  wakeups: () => number;
}> {
  const disk = new SimulatedDisk();
  await disk.mkdir("/store");
  const checkpoint = await StoreCheckpoint.open("/store/checkpoint", disk);
  let wakeups = 0;
  const hub = new StoreEvents({ wakeDispatch: () => wakeups++, checkpoint, logger: silentLogger });
  return { events: hub, checkpoint, wakeups: () => wakeups };
}

describe("StoreEvents", () => {
  it("wakes dispatch on every append and every commit", async () => {
    const { events: hub, wakeups } = await events();
    hub.appended();
    hub.committed();
    hub.appended();
    expect(wakeups()).toBe(3);
  });

  it("moves the checkpoint's physicMsgTimestamp to the last flushed record's store time, ignoring 0", async () => {
    const { events: hub, checkpoint } = await events();
    hub.flushed(1_700_000_000_123);
    hub.flushed(0);
    expect(checkpoint.physicMsgTimestamp).toBe(1_700_000_000_123);
  });

  it("tells every dispatch listener, even when one throws, until it unsubscribes", async () => {
    const { events: hub } = await events();
    const heard: string[] = [];
    hub.onDispatched(() => {
      throw new Error("listener bug");
    });
    const unsubscribe = hub.onDispatched((topic, queueId, maxOffset) =>
      heard.push(`${topic}-${queueId}@${maxOffset}`),
    );
    hub.dispatched("orders", 1, 5);
    unsubscribe();
    hub.dispatched("orders", 1, 6);
    expect(heard).toEqual(["orders-1@5"]);
  });

  it("keeps the store time of the last dispatched unit for the consume-queue flush", async () => {
    const { events: hub } = await events();
    expect(hub.lastDispatchedTimestamp).toBe(0);
    hub.dispatchedUpTo(1_700_000_000_456);
    expect(hub.lastDispatchedTimestamp).toBe(1_700_000_000_456);
  });
});
