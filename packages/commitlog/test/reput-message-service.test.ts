import { SimulatedDisk } from "@store/mapped-file/testing";
import { describe, expect, it } from "vitest";
import { SYSFLAG_TRANSACTION_PREPARED_TYPE } from "@store/message-codec";
import { waitFor } from "./helpers.js";
import {
  message,
  openOnDisk,
  putMany,
  putOk,
  readBodies,
  waitDispatched,
} from "./store-test-kit.js";

const TOPIC = "ReputTopic";

describe("ReputMessageService (through MessageStore)", () => {
  it("tells onMessageDispatched listeners the queue's new max offset", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, { flushDiskType: "SYNC_FLUSH" });
    try {
      const seen: { topic: string; queueId: number; maxOffset: number }[] = [];
      const unsubscribe = store.onMessageDispatched((topic, queueId, maxOffset) => {
        seen.push({ topic, queueId, maxOffset });
        expect(store.getMaxOffsetInQueue(topic, queueId)).toBeGreaterThanOrEqual(maxOffset);
      });
      await putOk(store, message(TOPIC, 0));
      await waitFor(() => seen.length > 0);
      expect(seen).toEqual([{ topic: TOPIC, queueId: 0, maxOffset: 1 }]);
      await putMany(store, TOPIC, 3, 1, { queueId: 2 });
      await waitFor(() => seen.some((s) => s.queueId === 2 && s.maxOffset === 3));
      expect(
        seen
          .filter((s) => s.queueId === 2)
          .map((s) => s.maxOffset)
          .at(-1),
      ).toBe(3);
      unsubscribe();
      const count = seen.length;
      await putOk(store, message(TOPIC, 9));
      await waitDispatched(store, TOPIC, 2);
      expect(seen).toHaveLength(count);
    } finally {
      await store.shutdown();
    }
  });

  it("keeps dispatching when a listener throws", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, { flushDiskType: "SYNC_FLUSH" });
    try {
      let calls = 0;
      store.onMessageDispatched(() => {
        calls++;
        throw new Error("listener bug");
      });
      await putOk(store, message(TOPIC, 0));
      await waitDispatched(store, TOPIC, 1);
      await putOk(store, message(TOPIC, 1));
      await waitDispatched(store, TOPIC, 2);
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(await readBodies(store, TOPIC)).toHaveLength(2);
    } finally {
      await store.shutdown();
    }
  });

  it("does not index prepared transaction messages (they take no queue offset)", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, { flushDiskType: "SYNC_FLUSH" });
    try {
      const prepared = await putOk(
        store,
        message(TOPIC, 0, { sysFlag: SYSFLAG_TRANSACTION_PREPARED_TYPE }),
      );
      expect(prepared.appendResult?.logicsOffset).toBe(0);
      const normal = await putOk(store, message(TOPIC, 1));
      expect(normal.appendResult?.logicsOffset).toBe(0);
      await waitFor(() => store.dispatchBehindBytes() === 0);
      expect(store.getMaxOffsetInQueue(TOPIC, 0)).toBe(1);
      expect(await readBodies(store, TOPIC)).toEqual([message(TOPIC, 1).body.toString()]);
    } finally {
      await store.shutdown();
    }
  });

  it("with a pool, dispatches a put as soon as its commit makes it readable, not at the next idle round", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, {
      flushDiskType: "ASYNC_FLUSH",
      transientStorePoolEnable: true,
      transientStorePoolSize: 3,
      commitIntervalCommitLog: 5,
      commitCommitLogLeastPages: 0,
    });
    try {
      // The put wakes the dispatcher while its bytes are still in the pool buffer; without a wakeup
      // from the commit, each one waited out the dispatcher's 100 ms idle round.
      const waits: number[] = [];
      for (let i = 0; i < 9; i++) {
        const started = performance.now();
        await putOk(store, message(TOPIC, i));
        await waitDispatched(store, TOPIC, i + 1);
        waits.push(performance.now() - started);
      }
      expect(waits.sort((a, b) => a - b)[4]).toBeLessThan(60);
    } finally {
      await store.shutdown();
    }
  });

  for (const strategy of ["SYNC_FLUSH", "ASYNC_FLUSH"] as const) {
    it(`${strategy}: when a consume-queue file cannot be created, dispatch stops there and resumes after heal() with every unit once, in order`, async () => {
      const disk = new SimulatedDisk();
      // 10 units per consume-queue file: the 11th message needs a new one.
      const store = await openOnDisk(disk, {
        flushDiskType: strategy,
        mappedFileSizeConsumeQueue: 10 * 20,
      });
      try {
        await putMany(store, TOPIC, 10);
        await waitDispatched(store, TOPIC, 10);
        disk.failOn("open", "ENOSPC", {
          pathIncludes: "/consumequeue/",
          times: Number.POSITIVE_INFINITY,
        });
        disk.failOn("rename", "ENOSPC", {
          pathIncludes: "/consumequeue/",
          times: Number.POSITIVE_INFINITY,
        });
        const faultsBefore = disk.counters.faults;
        await putMany(store, TOPIC, 15, 10);
        await putMany(store, TOPIC, 5, 0, { queueId: 1 }); // a queue whose first file cannot be created either
        // Dispatch reached the failing creation and tried it again on a later round.
        await waitFor(() => disk.counters.faults >= faultsBefore + 3);
        expect(store.getMaxOffsetInQueue(TOPIC, 0)).toBe(10);
        expect(store.dispatchBehindBytes()).toBeGreaterThan(0);
        disk.heal();
        await putOk(store, message(TOPIC, 25)); // wakes the dispatcher
        await waitDispatched(store, TOPIC, 26);
        await waitDispatched(store, TOPIC, 5, 1);
        expect(await readBodies(store, TOPIC)).toEqual(
          Array.from({ length: 26 }, (_, i) => message(TOPIC, i).body.toString()),
        );
        expect(await readBodies(store, TOPIC, 1)).toEqual(
          Array.from({ length: 5 }, (_, i) => message(TOPIC, i).body.toString()),
        );
      } finally {
        await store.shutdown();
      }
    });
  }

  it("dispatches a record longer than its read chunk (a raised maxMessageSize)", async () => {
    const disk = new SimulatedDisk();
    const mib = 1024 * 1024;
    const store = await openOnDisk(disk, {
      flushDiskType: "SYNC_FLUSH",
      mappedFileSizeCommitLog: 8 * mib,
      maxMessageSize: 1024,
    });
    try {
      store.commitLog.maxMessageSize = 6 * mib;
      const big = Buffer.alloc(5 * mib, 3);
      await putOk(store, { topic: TOPIC, body: big });
      await putOk(store, message(TOPIC, 1));
      await waitDispatched(store, TOPIC, 2);
      const got = await store.getMessage("group", TOPIC, 0, 0, 1);
      expect(got.status).toBe("FOUND");
      expect(got.messages[0]?.length).toBeGreaterThan(5 * mib);
    } finally {
      await store.shutdown();
    }
  });
});
