import { afterEach, describe, expect, it } from "vitest";
import type { MessageStore } from "@store/commitlog";
import { decodeMessage } from "@store/message-codec";
import { SimulatedDisk } from "@store/mapped-file/testing";
import { TIMER_TOPIC, TimerMessageService } from "../../src/index.js";
import { ManualClock, openStore, ROOT, silentLogger, waitFor } from "./pop-test-kit.js";

const open: { store: MessageStore; timer: TimerMessageService }[] = [];
afterEach(async () => {
  for (const { store, timer } of open.splice(0)) {
    await timer.shutdown();
    await store.shutdown();
  }
});

async function start(
  disk: SimulatedDisk,
  clock: ManualClock,
  maxPendingMessages?: number,
): Promise<{ store: MessageStore; timer: TimerMessageService }> {
  const store = await openStore(disk);
  const timer = new TimerMessageService({
    store,
    storePathRootDir: ROOT,
    io: disk,
    clock,
    logger: silentLogger,
    maxPendingMessages,
    intervalMs: 60_000,
  });
  await timer.start();
  const pair = { store, timer };
  open.push(pair);
  return pair;
}

async function bodies(store: MessageStore, topic: string, queueId = 0): Promise<string[]> {
  const result = await store.getMessage("t", topic, queueId, 0, 32);
  return result.messages.map((record) => {
    const decoded = decodeMessage(record);
    return decoded.ok
      ? `${decoded.message.body.toString()}|${decoded.message.properties.TIMER_DELIVER_MS}|${decoded.message.properties.UNIQ_KEY}`
      : "bad";
  });
}

describe("TimerMessageService", () => {
  it("delivers a timed message into its topic and queue at its time, not before", async () => {
    const clock = new ManualClock();
    const { store, timer } = await start(new SimulatedDisk(), clock);
    const at = clock.now() + 5000;
    const put = await timer.putTimerMessage(
      { topic: "T", queueId: 2, body: Buffer.from("later"), properties: { UNIQ_KEY: "U1" } },
      at,
    );
    expect(put.status).toBe("PUT_OK");
    await waitFor(() => store.getMaxOffsetInQueue(TIMER_TOPIC, 0) === 1);
    expect(timer.pendingCount).toBe(1);
    clock.advance(4999);
    expect(await timer.deliverDue()).toBe(0);
    expect(store.getMaxOffsetInQueue("T", 2)).toBe(0);
    clock.advance(1);
    expect(await timer.deliverDue()).toBe(1);
    await waitFor(() => store.getMaxOffsetInQueue("T", 2) === 1);
    expect(await bodies(store, "T", 2)).toEqual([`later|${at}|U1`]);
  });

  it("stores a message whose time has come straight into its topic", async () => {
    const clock = new ManualClock();
    const { store, timer } = await start(new SimulatedDisk(), clock);
    await timer.putTimerMessage(
      { topic: "T", body: Buffer.from("now"), properties: { UNIQ_KEY: "U0" } },
      clock.now(),
    );
    await waitFor(() => store.getMaxOffsetInQueue("T", 0) === 1);
    expect(timer.pendingCount).toBe(0);
  });

  it("answers TIMER_FULL past maxPendingMessages", async () => {
    const clock = new ManualClock();
    const { timer } = await start(new SimulatedDisk(), clock, 1);
    expect(
      (await timer.putTimerMessage({ topic: "T", body: Buffer.from("a") }, clock.now() + 1000))
        .status,
    ).toBe("PUT_OK");
    expect(
      (await timer.putTimerMessage({ topic: "T", body: Buffer.from("b") }, clock.now() + 1000))
        .status,
    ).toBe("TIMER_FULL");
  });

  it("after a restart delivers what was waiting, once, and not what was delivered", async () => {
    const disk = new SimulatedDisk();
    const clock = new ManualClock();
    const first = await start(disk, clock);
    await first.timer.putTimerMessage(
      { topic: "T", body: Buffer.from("soon"), properties: { UNIQ_KEY: "S" } },
      clock.now() + 1000,
    );
    await first.timer.putTimerMessage(
      { topic: "T", body: Buffer.from("later"), properties: { UNIQ_KEY: "L" } },
      clock.now() + 9000,
    );
    clock.advance(1000);
    expect(await first.timer.deliverDue()).toBe(1);
    await first.timer.shutdown();
    await first.store.shutdown();
    open.splice(0);
    const second = await start(disk, clock);
    expect(second.timer.pendingCount).toBe(1);
    clock.advance(8000);
    expect(await second.timer.deliverDue()).toBe(1);
    await waitFor(() => second.store.getMaxOffsetInQueue("T", 0) === 2);
    expect((await bodies(second.store, "T")).map((b) => b.split("|")[0])).toEqual([
      "soon",
      "later",
    ]);
  });
});
