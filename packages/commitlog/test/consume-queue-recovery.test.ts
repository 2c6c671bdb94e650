import { open as openFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import type { MessageInput } from "@store/message-codec";
import type { MessageStore } from "../src/message-store.js";
import { MessageStore as Store } from "../src/message-store.js";
import type { Life } from "./crash-kit.js";
import { QUIET_SERVICES, openLife, powerCut, shutdown } from "./crash-kit.js";
import { silentLogger, tempDir } from "./helpers.js";
import { putOk, readBodies, waitDispatched } from "./store-test-kit.js";

const TOPIC = "T";

/** A message of queue `queueId` whose body is `name` (every name has the same length). */
function named(name: string, queueId: number): MessageInput {
  return { topic: TOPIC, queueId, body: Buffer.from(name.padEnd(8, ".")) };
}

function names(...list: string[]): string[] {
  return list.map((name) => name.padEnd(8, "."));
}

async function putAll(store: MessageStore, list: readonly MessageInput[]): Promise<number[]> {
  const offsets: number[] = [];
  for (const msg of list) offsets.push((await putOk(store, msg)).appendResult?.wroteOffset ?? -1);
  return offsets;
}

/** m0 n0 m1 n1 ...: `m` messages to queue 0 interleaved with `n` messages to queue 1. */
function interleaved(from: number, to: number): MessageInput[] {
  const list: MessageInput[] = [];
  for (let i = from; i < to; i++) list.push(named(`m${i}`, 0), named(`n${i}`, 1));
  return list;
}

describe("consume-queue recovery: a cut made by one recovery stays cut", () => {
  it("through a second power cut: crash, recover, append, crash again without a clean shutdown, recover", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const config = { ...QUIET_SERVICES, flushDiskType: "ASYNC_FLUSH" } as const;
    // Life 1: m0 n0 m1 n1 reach the disk; m2 n2 m3 n3 reach only the consume queues.
    const first = await openLife(disk, clock, config);
    await putAll(first.store, interleaved(0, 2));
    await first.store.commitLog.mappedFileQueue.flush(0);
    await putAll(first.store, interleaved(2, 4));
    await clock.settle();
    while (await first.store.consumeQueues.flush(0));
    await powerCut(disk, clock, first);

    // Life 2: recovery cuts both queues back to the log; x0 x1 x2 go to queue 1 and reach the log.
    const second = await openLife(disk, clock, config);
    expect(await readBodies(second.store, TOPIC, 0)).toEqual(names("m0", "m1"));
    expect(await readBodies(second.store, TOPIC, 1)).toEqual(names("n0", "n1"));
    await putAll(second.store, [named("x0", 1), named("x1", 1), named("x2", 1)]);
    await second.store.commitLog.mappedFileQueue.flush(0);
    await clock.settle();
    await powerCut(disk, clock, second); // the consume queues' new units are lost, the log's are not

    const third = await openLife(disk, clock, config);
    try {
      expect(await readBodies(third.store, TOPIC, 0)).toEqual(names("m0", "m1"));
      expect(third.store.getMaxOffsetInQueue(TOPIC, 0)).toBe(2);
      expect(await readBodies(third.store, TOPIC, 1)).toEqual(names("n0", "n1", "x0", "x1", "x2"));
    } finally {
      await shutdown(clock, third);
    }
  });

  it("on a plain directory: a log cut under flushed consume queues, then puts to the other queue", async () => {
    const { dir, cleanup } = await tempDir("cq-cut-");
    const config = {
      storePathRootDir: dir,
      flushDiskType: "ASYNC_FLUSH",
      mappedFileSizeCommitLog: 1024 * 1024,
    } as const;
    try {
      const first = await Store.open(config, { logger: silentLogger });
      const offsets = await putAll(first, interleaved(0, 4));
      await waitDispatched(first, TOPIC, 4, 0);
      await waitDispatched(first, TOPIC, 4, 1);
      await first.shutdown();
      // A crash that lost the log's tail after the consume queues were flushed.
      const m2 = offsets[4] as number;
      const handle = await openFile(join(dir, "commitlog", "00000000000000000000"), "r+");
      await handle.write(Buffer.alloc(1024 * 1024 - m2), 0, 1024 * 1024 - m2, m2);
      await handle.close();
      await writeFile(join(dir, "abort"), "");

      const second = await Store.open(config, { logger: silentLogger });
      expect(await readBodies(second, TOPIC, 0)).toEqual(names("m0", "m1"));
      expect(await readBodies(second, TOPIC, 1)).toEqual(names("n0", "n1"));
      await putAll(second, [named("x0", 1), named("x1", 1), named("x2", 1)]);
      await waitDispatched(second, TOPIC, 5, 1);
      await second.shutdown();

      const third = await Store.open(config, { logger: silentLogger });
      try {
        expect(await readBodies(third, TOPIC, 0)).toEqual(names("m0", "m1"));
        expect(await readBodies(third, TOPIC, 1)).toEqual(names("n0", "n1", "x0", "x1", "x2"));
      } finally {
        await third.shutdown();
      }
    } finally {
      await cleanup();
    }
  });
});

describe("consume-queue recovery: a queue more files behind than one flush round covers", () => {
  it("rebuilds every unit of a hot queue with small consume-queue files after a power cut", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock });
    const config = {
      ...QUIET_SERVICES,
      flushDiskType: "SYNC_FLUSH",
      mappedFileSizeConsumeQueue: 50 * 20,
      flushIntervalConsumeQueue: 1000,
      flushConsumeQueueThoroughInterval: 1000,
    } as const;
    const life = await openLife(disk, clock, config);
    const body = (i: number): Buffer => Buffer.from(`hot-${String(i).padStart(4, "0")}`);
    for (let i = 0; i < 150; i++) await putOk(life.store, { topic: TOPIC, body: body(i) });
    await clock.advance(1000); // a thorough round: 150 units durable, the checkpoint written
    for (let i = 150; i < 500; i++) await putOk(life.store, { topic: TOPIC, body: body(i) }); // all SYNC-acknowledged
    await clock.settle();
    expect(life.store.consumeQueues.find(TOPIC, 0)?.mappedFileQueue.mappedFiles).toHaveLength(10);
    await powerCut(disk, clock, life);

    const after = await openLife(disk, clock, config);
    try {
      const expected = Array.from({ length: 500 }, (_, i) => body(i).toString());
      expect(await readBodies(after.store, TOPIC)).toEqual(expected);
      expect(
        (await putOk(after.store, { topic: TOPIC, body: body(500) })).appendResult?.logicsOffset,
      ).toBe(500);
    } finally {
      await shutdown(clock, after);
    }
  });
});

describe("consume-queue recovery: directories survive a power cut (POSIX directory semantics)", () => {
  it("serves the messages of a queue created long before the checkpoint and continues its offsets", async () => {
    const clock = new VirtualClock();
    const disk = new SimulatedDisk({ clock, directoryEntries: "directory-sync" });
    const config = {
      ...QUIET_SERVICES,
      flushDiskType: "SYNC_FLUSH",
      flushIntervalConsumeQueue: 1000,
      flushConsumeQueueThoroughInterval: 1000,
    } as const;
    const life: Life = await openLife(disk, clock, config);
    const early = (i: number): Buffer => Buffer.from(`early-${i}`);
    for (let i = 0; i < 20; i++) await putOk(life.store, { topic: "Early", body: early(i) });
    // Later traffic, in two phases 5 s apart, so the checkpoint moves past the first segment.
    for (const phase of [0, 1]) {
      await clock.advance(5000);
      for (let i = 0; i < 130; i++)
        await putOk(life.store, { topic: "Bulk", body: Buffer.alloc(1000, phase + 1) });
    }
    await clock.advance(5000);
    expect(life.store.commitLog.mappedFileQueue.mappedFiles.length).toBeGreaterThanOrEqual(4);
    await powerCut(disk, clock, life);

    const after = await openLife(disk, clock, config);
    try {
      expect(after.store.recovery.startOffset).toBeGreaterThan(0); // recovery trusted the checkpoint
      expect(await readBodies(after.store, "Early")).toEqual(
        Array.from({ length: 20 }, (_, i) => early(i).toString()),
      );
      expect(
        (await putOk(after.store, { topic: "Early", body: early(20) })).appendResult?.logicsOffset,
      ).toBe(20);
      expect(after.store.getMaxOffsetInQueue("Bulk", 0)).toBe(260);
    } finally {
      await shutdown(clock, after);
    }
  });
});
