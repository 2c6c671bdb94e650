import { afterEach, describe, expect, it } from "vitest";
import { MessageStore } from "@store/commitlog";
import { decodeMessage } from "@store/message-codec";
import type { DecodedMessage } from "@store/message-codec";
import { dlqTopicOf, POP_STATE_FILE, PopService, retryTopicOf } from "../../src/index.js";
import { PopHarness, ROOT, silentLogger, waitFor } from "./pop-test-kit.js";

const harnesses: PopHarness[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.stop().catch(() => undefined);
});

async function open(
  options: ConstructorParameters<typeof PopHarness>[0] = {},
): Promise<PopHarness> {
  const harness = await PopHarness.open(options);
  harnesses.push(harness);
  harness.topics.set("T", 4);
  return harness;
}

async function readAll(store: MessageStore, topic: string): Promise<DecodedMessage[]> {
  const result = await store.getMessage("check", topic, 0, 0, 32);
  return result.messages.map((record) => {
    const decoded = decodeMessage(record);
    if (!decoded.ok) throw new Error(decoded.reason);
    return decoded.message;
  });
}

const G = "G1";

describe("PopService", () => {
  it("pops messages from every queue of the topic, each with a receipt handle, attempt 1", async () => {
    const h = await open();
    for (let q = 0; q < 4; q++) await h.put("T", `m${q}`, { queueId: q, tags: "A" });
    const result = await h.pop.pop({
      group: G,
      topic: "T",
      maxMessages: 10,
      invisibleTimeMs: 5000,
    });
    expect(result.status).toBe("FOUND");
    expect(result.messages.map((m) => m.message.body.toString()).sort()).toEqual([
      "m0",
      "m1",
      "m2",
      "m3",
    ]);
    expect(new Set(result.messages.map((m) => m.receiptHandle)).size).toBe(4);
    expect(result.messages.every((m) => m.deliveryAttempt === 1 && m.topic === "T")).toBe(true);
    expect(h.pop.inFlightCount).toBe(4);
  });

  it("keeps popped messages invisible to the group, but not to another group", async () => {
    const h = await open();
    await h.put("T", "one");
    expect(
      (await h.pop.pop({ group: G, topic: "T", maxMessages: 1, invisibleTimeMs: 5000 })).messages,
    ).toHaveLength(1);
    expect(
      (await h.pop.pop({ group: G, topic: "T", maxMessages: 1, invisibleTimeMs: 5000 })).status,
    ).toBe("NO_NEW_MSG");
    expect(
      (await h.pop.pop({ group: "G2", topic: "T", maxMessages: 1, invisibleTimeMs: 5000 }))
        .messages,
    ).toHaveLength(1);
  });

  it("starts a new group at the first retained message of each queue", async () => {
    const h = await open();
    for (let i = 0; i < 3; i++) await h.put("T", `m${i}`);
    const result = await h.pop.pop({
      group: "late",
      topic: "T",
      maxMessages: 32,
      invisibleTimeMs: 5000,
    });
    expect(result.messages.map((m) => m.message.queueOffset)).toEqual([0, 1, 2]);
  });

  it("revives an un-acked message after its invisible time with attempt 2, and not an acked one", async () => {
    const h = await open();
    await h.put("T", "keep", {
      tags: "A",
      keys: ["k1", "k2"],
      properties: { UNIQ_KEY: "ID-1", color: "red" },
    });
    await h.put("T", "ack-me", { properties: { UNIQ_KEY: "ID-2" } });
    const first = await h.pop.pop({ group: G, topic: "T", maxMessages: 2, invisibleTimeMs: 2000 });
    const acked = first.messages.find((m) => m.message.body.toString() === "ack-me");
    expect(await h.pop.ack(G, "T", acked!.receiptHandle)).toEqual({ status: "OK" });
    h.clock.advance(1999);
    expect(await h.pop.reviveDue()).toBe(0);
    h.clock.advance(1);
    expect(await h.pop.reviveDue()).toBe(1);
    await h.waitQueue(retryTopicOf(G), 1);
    const again = await h.pop.pop({ group: G, topic: "T", maxMessages: 32, invisibleTimeMs: 2000 });
    expect(again.messages).toHaveLength(1);
    const back = again.messages[0]!;
    expect(back.topic).toBe("T");
    expect(back.deliveryAttempt).toBe(2);
    expect(back.message.body.toString()).toBe("keep");
    expect(back.message.tags).toBe("A");
    expect(back.message.keys).toBe("k1 k2");
    expect(back.message.properties.UNIQ_KEY).toBe("ID-1");
    expect(back.message.properties.color).toBe("red");
    expect(back.message.properties.RETRY_TOPIC).toBe("T");
    expect(back.message.properties.RECONSUME_TIME).toBe("1");
  });

  it("answers INVALID_RECEIPT_HANDLE for an acked, unknown or foreign handle", async () => {
    const h = await open();
    await h.put("T", "x");
    const [m] = (await h.pop.pop({ group: G, topic: "T", maxMessages: 1, invisibleTimeMs: 5000 }))
      .messages;
    expect((await h.pop.ack("other", "T", m!.receiptHandle)).status).toBe("INVALID_RECEIPT_HANDLE");
    expect((await h.pop.ack(G, "T", m!.receiptHandle)).status).toBe("OK");
    expect((await h.pop.ack(G, "T", m!.receiptHandle)).status).toBe("INVALID_RECEIPT_HANDLE");
    expect((await h.pop.ack(G, "T", "nonsense")).status).toBe("INVALID_RECEIPT_HANDLE");
  });

  it("changes the invisible time under a new handle and invalidates the old one", async () => {
    const h = await open();
    await h.put("T", "x");
    const [m] = (await h.pop.pop({ group: G, topic: "T", maxMessages: 1, invisibleTimeMs: 2000 }))
      .messages;
    h.clock.advance(1000);
    const changed = await h.pop.changeInvisibleTime(G, "T", m!.receiptHandle, 5000);
    expect(changed.status).toBe("OK");
    if (changed.status !== "OK") return;
    expect(changed.receiptHandle).not.toBe(m!.receiptHandle);
    expect((await h.pop.ack(G, "T", m!.receiptHandle)).status).toBe("INVALID_RECEIPT_HANDLE");
    h.clock.advance(4999);
    expect(await h.pop.reviveDue()).toBe(0);
    h.clock.advance(1);
    expect(await h.pop.reviveDue()).toBe(1);
    expect((await h.pop.ack(G, "T", changed.receiptHandle)).status).toBe("INVALID_RECEIPT_HANDLE");
  });

  it("raises an invisible time below the minimum to 1 s (a push client's nack in ms)", async () => {
    const h = await open();
    await h.put("T", "x");
    const [m] = (await h.pop.pop({ group: G, topic: "T", maxMessages: 1, invisibleTimeMs: 10_000 }))
      .messages;
    const changed = await h.pop.changeInvisibleTime(G, "T", m!.receiptHandle, 1);
    expect(changed.status === "OK" && changed.invisibleTimeMs).toBe(1000);
    h.clock.advance(1000);
    expect(await h.pop.reviveDue()).toBe(1);
  });

  it("dead-letters a message to %DLQ%<group> once it was delivered 1 + maxReconsumeTimes times", async () => {
    const h = await open({ maxReconsumeTimes: () => 2 });
    await h.put("T", "poison", { tags: "P", properties: { UNIQ_KEY: "ID-P" } });
    const attempts: number[] = [];
    for (let round = 0; round < 3; round++) {
      await waitFor(() => round === 0 || h.retryCount(G) >= round);
      const result = await h.pop.pop({
        group: G,
        topic: "T",
        maxMessages: 1,
        invisibleTimeMs: 1000,
      });
      attempts.push(result.messages[0]!.deliveryAttempt);
      h.clock.advance(1000);
      expect(await h.pop.reviveDue()).toBe(1);
    }
    expect(attempts).toEqual([1, 2, 3]);
    await h.waitQueue(dlqTopicOf(G), 1);
    const [dead] = await readAll(h.store, dlqTopicOf(G));
    expect(dead!.body.toString()).toBe("poison");
    expect(dead!.properties.DLQ_ORIGIN_TOPIC).toBe("T");
    expect(dead!.properties.DLQ_ORIGIN_MESSAGE_ID).toBe("ID-P");
    expect(dead!.properties.UNIQ_KEY).toBe("ID-P");
    expect(dead!.tags).toBe("P");
    expect(h.retryCount(G)).toBe(2);
    expect(
      (await h.pop.pop({ group: G, topic: "T", maxMessages: 1, invisibleTimeMs: 1000 })).status,
    ).toBe("NO_NEW_MSG");
  });

  it("forwards an in-flight message to the DLQ on request and acks it", async () => {
    const h = await open();
    await h.put("T", "fifo");
    const [m] = (await h.pop.pop({ group: G, topic: "T", maxMessages: 1, invisibleTimeMs: 1000 }))
      .messages;
    expect(await h.pop.forwardToDeadLetterQueue(G, "T", m!.receiptHandle)).toEqual({
      status: "OK",
    });
    await h.waitQueue(dlqTopicOf(G), 1);
    h.clock.advance(5000);
    expect(await h.pop.reviveDue()).toBe(0);
    expect(h.pop.inFlightCount).toBe(0);
  });

  it("hands out only messages whose tag matches, skipping the rest for the group", async () => {
    const h = await open();
    for (const tag of ["A", "B", "C", "A"]) await h.put("T", tag, { tags: tag });
    const result = await h.pop.pop({
      group: G,
      topic: "T",
      maxMessages: 32,
      invisibleTimeMs: 5000,
      expression: "A || C",
    });
    expect(result.messages.map((m) => m.message.tags)).toEqual(["A", "C", "A"]);
    expect(
      (await h.pop.pop({ group: G, topic: "T", maxMessages: 32, invisibleTimeMs: 5000 })).status,
    ).toBe("NO_NEW_MSG");
  });

  it("keeps a group's retries of one topic out of its pops of another", async () => {
    const h = await open();
    h.topics.set("U", 1);
    await h.put("T", "t-msg");
    await h.put("U", "u-msg");
    await h.pop.pop({ group: G, topic: "T", maxMessages: 1, invisibleTimeMs: 1000 });
    h.clock.advance(1000);
    await h.pop.reviveDue();
    await h.waitQueue(retryTopicOf(G), 1);
    const fromU = await h.pop.pop({ group: G, topic: "U", maxMessages: 32, invisibleTimeMs: 1000 });
    expect(fromU.messages.map((m) => m.message.body.toString())).toEqual(["u-msg"]);
    const fromT = await h.pop.pop({ group: G, topic: "T", maxMessages: 32, invisibleTimeMs: 1000 });
    expect(fromT.messages.map((m) => [m.message.body.toString(), m.deliveryAttempt])).toEqual([
      ["t-msg", 2],
    ]);
  });

  it("long-polls: a waiting pop returns as soon as a message is dispatched", async () => {
    const h = await open();
    const waiting = h.pop.pop({
      group: G,
      topic: "T",
      maxMessages: 1,
      invisibleTimeMs: 5000,
      pollTimeMs: 10_000,
    });
    await waitFor(() => h.pop.waitingPolls === 1);
    const started = Date.now();
    await h.put("T", "late", { queueId: 2 });
    const result = await waiting;
    expect(result.messages.map((m) => m.message.body.toString())).toEqual(["late"]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(h.pop.waitingPolls).toBe(0);
  });

  it("long-polls: answers NO_NEW_MSG when the poll time passes", async () => {
    const h = await open();
    const started = Date.now();
    const result = await h.pop.pop({
      group: G,
      topic: "T",
      maxMessages: 1,
      invisibleTimeMs: 5000,
      pollTimeMs: 150,
    });
    expect(result.status).toBe("NO_NEW_MSG");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("answers POLLING_FULL instead of holding more than maxWaitingPolls pops", async () => {
    const h = await open({ limits: { maxWaitingPolls: 2 } });
    const controller = new AbortController();
    const held = [1, 2].map(() =>
      h.pop.pop({
        group: G,
        topic: "T",
        maxMessages: 1,
        invisibleTimeMs: 5000,
        pollTimeMs: 10_000,
        signal: controller.signal,
      }),
    );
    await waitFor(() => h.pop.waitingPolls === 2);
    expect(
      (
        await h.pop.pop({
          group: G,
          topic: "T",
          maxMessages: 1,
          invisibleTimeMs: 5000,
          pollTimeMs: 10_000,
        })
      ).status,
    ).toBe("POLLING_FULL");
    controller.abort();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual(["NO_NEW_MSG", "NO_NEW_MSG"]);
  });

  it("answers IN_FLIGHT_FULL once maxInFlightMessages are un-acked", async () => {
    const h = await open({ limits: { maxInFlightMessages: 2 } });
    for (let i = 0; i < 3; i++) await h.put("T", `m${i}`);
    expect(
      (await h.pop.pop({ group: G, topic: "T", maxMessages: 2, invisibleTimeMs: 5000 })).messages,
    ).toHaveLength(2);
    expect(
      (await h.pop.pop({ group: G, topic: "T", maxMessages: 2, invisibleTimeMs: 5000 })).status,
    ).toBe("IN_FLIGHT_FULL");
  });

  it("ends waiting pops with SHUTTING_DOWN at shutdown", async () => {
    const h = await open();
    const waiting = h.pop.pop({
      group: G,
      topic: "T",
      maxMessages: 1,
      invisibleTimeMs: 5000,
      pollTimeMs: 10_000,
    });
    await waitFor(() => h.pop.waitingPolls === 1);
    await h.pop.shutdown();
    expect((await waiting).status).toBe("SHUTTING_DOWN");
  });

  it("refuses an illegal group or topic with BAD_ARGUMENT", async () => {
    const h = await open();
    await expect(
      h.pop.pop({ group: "bad group", topic: "T", maxMessages: 1, invisibleTimeMs: 1000 }),
    ).rejects.toMatchObject({ code: "BAD_ARGUMENT" });
    await expect(
      h.pop.pop({ group: G, topic: "a/b", maxMessages: 1, invisibleTimeMs: 1000 }),
    ).rejects.toMatchObject({
      code: "BAD_ARGUMENT",
    });
  });

  it("after a graceful restart: an un-acked message comes back after its invisible time, an acked one never", async () => {
    const h = await open();
    await h.put("T", "acked");
    await h.put("T", "pending");
    const popped = await h.pop.pop({ group: G, topic: "T", maxMessages: 2, invisibleTimeMs: 3000 });
    const acked = popped.messages.find((m) => m.message.body.toString() === "acked")!;
    await h.pop.ack(G, "T", acked.receiptHandle);
    await h.stop();
    harnesses.splice(harnesses.indexOf(h), 1);
    const again = new PopHarness({}, h.disk, h.clock);
    again.topics.set("T", 4);
    await again.start();
    harnesses.push(again);
    expect(again.pop.inFlightCount).toBe(1);
    expect(
      (await again.pop.pop({ group: G, topic: "T", maxMessages: 32, invisibleTimeMs: 3000 }))
        .status,
    ).toBe("NO_NEW_MSG");
    again.clock.advance(3000);
    expect(await again.pop.reviveDue()).toBe(1);
    await again.waitQueue(retryTopicOf(G), 1);
    const back = await again.pop.pop({
      group: G,
      topic: "T",
      maxMessages: 32,
      invisibleTimeMs: 3000,
    });
    expect(back.messages.map((m) => [m.message.body.toString(), m.deliveryAttempt])).toEqual([
      ["pending", 2],
    ]);
  });

  it("after a power cut: an ack that resolved is kept (the state was durable)", async () => {
    const h = await open();
    await h.put("T", "a");
    await h.put("T", "b");
    await h.store.commitLog.mappedFileQueue.flush(0);
    const popped = await h.pop.pop({ group: G, topic: "T", maxMessages: 2, invisibleTimeMs: 3000 });
    for (const m of popped.messages)
      expect((await h.pop.ack(G, "T", m.receiptHandle)).status).toBe("OK");
    h.disk.powerCut();
    await h.store.halt();
    harnesses.splice(harnesses.indexOf(h), 1);
    const again = new PopHarness({}, h.disk, h.clock);
    again.topics.set("T", 4);
    await again.start();
    harnesses.push(again);
    expect(again.pop.inFlightCount).toBe(0);
    again.clock.advance(10_000);
    await again.pop.reviveDue();
    expect(
      (await again.pop.pop({ group: G, topic: "T", maxMessages: 32, invisibleTimeMs: 3000 }))
        .status,
    ).toBe("NO_NEW_MSG");
  });

  it("moves an offset the queue no longer covers to where the store says, and pops there in the same call", async () => {
    const h = await open();
    for (let i = 0; i < 3; i++) await h.put("T", `m${i}`);
    await h.stop();
    harnesses.splice(harnesses.indexOf(h), 1);
    const state = JSON.stringify({
      version: 1,
      offsets: [{ group: G, topic: "T", queueTopic: "T", queueId: 0, offset: 100 }],
      checkPoints: [],
    });
    const fd = await h.disk.open(`${ROOT}/config/${POP_STATE_FILE}`, true);
    await h.disk.truncate(fd, 0);
    await h.disk.pwrite(fd, Buffer.from(state), 0, Buffer.byteLength(state), 0);
    await h.disk.close(fd);
    const again = new PopHarness({}, h.disk, h.clock);
    again.topics.set("T", 1);
    await again.start();
    harnesses.push(again);
    const result = await again.pop.pop({
      group: G,
      topic: "T",
      maxMessages: 32,
      invisibleTimeMs: 5000,
    });
    expect(result.messages.map((m) => m.message.body.toString())).toEqual(["m0", "m1", "m2"]);
  });

  it("never hands the same message to two concurrent pops of a group", async () => {
    const h = await open();
    for (let i = 0; i < 8; i++) await h.put("T", `m${i}`, { queueId: i % 4 });
    const results = await Promise.all(
      [1, 2, 3, 4].map(() =>
        h.pop.pop({ group: G, topic: "T", maxMessages: 3, invisibleTimeMs: 5000 }),
      ),
    );
    const bodies = results.flatMap((r) => r.messages.map((m) => m.message.body.toString()));
    expect(new Set(bodies).size).toBe(bodies.length);
    const rest = await h.pop.pop({ group: G, topic: "T", maxMessages: 32, invisibleTimeMs: 5000 });
    expect([...bodies, ...rest.messages.map((m) => m.message.body.toString())].sort()).toEqual([
      "m0",
      "m1",
      "m2",
      "m3",
      "m4",
      "m5",
      "m6",
      "m7",
    ]);
  });

  it("keeps a message in flight when its revive cannot be stored, and revives it once the store takes puts", async () => {
    let refuse = true;
    const h = new PopHarness();
    harnesses.push(h);
    h.topics.set("T", 1);
    await h.start();
    const failing = new PopService({
      store: {
        getMessage: (...args) => h.store.getMessage(...args),
        lookMessageByOffset: (offset) => h.store.lookMessageByOffset(offset),
        putMessage: (message) =>
          refuse
            ? Promise.resolve({ status: "CREATE_MAPEDFILE_FAILED" as const })
            : h.store.putMessage(message),
        onMessageDispatched: (listener) => h.store.onMessageDispatched(listener),
        getMinOffsetInQueue: (topic, queueId) => h.store.getMinOffsetInQueue(topic, queueId),
        getMaxOffsetInQueue: (topic, queueId) => h.store.getMaxOffsetInQueue(topic, queueId),
      },
      topics: { readQueueNums: () => 1 },
      storePathRootDir: "/other",
      io: h.disk,
      clock: h.clock,
      logger: silentLogger,
    });
    await failing.start();
    await h.put("T", "precious");
    await failing.pop({ group: G, topic: "T", maxMessages: 1, invisibleTimeMs: 1000 });
    h.clock.advance(1000);
    expect(await failing.reviveDue()).toBe(0);
    expect(failing.inFlightCount).toBe(1);
    refuse = false;
    h.clock.advance(1000);
    expect(await failing.reviveDue()).toBe(1);
    await h.waitQueue(retryTopicOf(G), 1);
    const back = await failing.pop({ group: G, topic: "T", maxMessages: 1, invisibleTimeMs: 1000 });
    expect(back.messages.map((m) => [m.message.body.toString(), m.deliveryAttempt])).toEqual([
      ["precious", 2],
    ]);
    await failing.shutdown();
  });

  it("refuses to start on a corrupt state file (CORRUPT_STATE), losing nothing", async () => {
    const h = await open();
    await h.stop();
    harnesses.splice(harnesses.indexOf(h), 1);
    const path = `${ROOT}/config/${POP_STATE_FILE}`;
    const fd = await h.disk.open(path, true);
    await h.disk.truncate(fd, 0);
    await h.disk.pwrite(fd, Buffer.from("{not json"), 0, 9, 0);
    await h.disk.close(fd);
    const store = await MessageStore.open(
      { storePathRootDir: ROOT, mappedFileSizeCommitLog: 256 * 1024 },
      { io: h.disk, logger: silentLogger },
    );
    const service = new PopService({
      store,
      topics: { readQueueNums: () => 1 },
      storePathRootDir: ROOT,
      io: h.disk,
      logger: silentLogger,
    });
    await expect(service.start()).rejects.toMatchObject({ code: "CORRUPT_STATE" });
    expect(h.disk.readFile(path).toString()).toBe("{not json");
    await store.shutdown();
  });
});
