import { SimulatedDisk } from "@store/mapped-file/testing";
import { CRC32_RESERVED_LENGTH, PROPERTY_WAIT_STORE_MSG_OK } from "@store/message-codec";
import { describe, expect, it } from "vitest";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import type { MessageStore } from "../src/message-store.js";
import { isPutStored } from "../src/store-types.js";
import type { PutMessageResult } from "../src/store-types.js";
import { waitFor } from "./helpers.js";
import {
  BODY,
  bodies,
  message,
  messageAt,
  openOnDisk,
  putOk,
  readBodies,
  waitDispatched,
} from "./store-test-kit.js";

const TOPIC = "CommitLogTopic";
const FILE_SIZE = 4096;

/** Puts from message `from` on until a put is not PUT_OK; returns the next index and the failure. */
async function putUntilFailure(
  store: MessageStore,
  from: number,
  limit: number,
): Promise<{ acked: number; failure: PutMessageResult }> {
  for (let i = from; i < from + limit; i++) {
    const result = await store.putMessage(message(TOPIC, i));
    if (result.status !== "PUT_OK") return { acked: i, failure: result };
  }
  throw new Error(`no failure within ${limit} puts`);
}

/** Fills the simulated disk: the next commit-log file cannot be created. Puts until that shows. */
async function fillDisk(
  disk: SimulatedDisk,
  store: MessageStore,
): Promise<{ acked: number; failure: PutMessageResult }> {
  // The consume queue's file exists once the first message is dispatched; then no new file fits.
  await putOk(store, message(TOPIC, 0));
  await waitDispatched(store, TOPIC, 1);
  await waitFor(() => disk.listFiles().filter((p) => p.includes("/commitlog/")).length >= 2); // next file pre-created
  disk.setCapacity(disk.usedBytes);
  return putUntilFailure(store, 1, 1000);
}

const STRATEGIES: Record<string, MessageStoreConfigInput> = {
  SYNC_FLUSH: { flushDiskType: "SYNC_FLUSH", mappedFileSizeCommitLog: FILE_SIZE },
  ASYNC_FLUSH: { flushDiskType: "ASYNC_FLUSH", mappedFileSizeCommitLog: FILE_SIZE },
  ASYNC_POOL: {
    flushDiskType: "ASYNC_FLUSH",
    transientStorePoolEnable: true,
    transientStorePoolSize: 3,
    commitIntervalCommitLog: 2,
    mappedFileSizeCommitLog: FILE_SIZE,
  },
};

describe("CommitLog on a full disk", () => {
  for (const [strategy, config] of Object.entries(STRATEGIES)) {
    it(`${strategy}: answers CREATE_MAPEDFILE_FAILED when no segment can be created, and works again after heal() without a restart`, async () => {
      const disk = new SimulatedDisk();
      const store = await openOnDisk(disk, config);
      try {
        const filled = await fillDisk(disk, store);
        expect(filled.failure.status).toBe("CREATE_MAPEDFILE_FAILED");
        expect(isPutStored(filled.failure)).toBe(false);
        expect(filled.failure.reason).toMatch(/cannot create/);
        expect(filled.acked).toBeGreaterThan(20); // two files' worth went in before the disk was full
        // Still full: every further put fails the same way; nothing is half-stored. (The written end:
        // with a pool, the readable end trails it until the commit service catches up.)
        const wroteEnd = (): number => store.commitLog.mappedFileQueue.getMaxWrotePosition();
        const maxPhy = wroteEnd();
        expect((await store.putMessage(message(TOPIC, 9999))).status).toBe(
          "CREATE_MAPEDFILE_FAILED",
        );
        expect(wroteEnd()).toBe(maxPhy);

        disk.heal();
        const after = await putOk(store, message(TOPIC, filled.acked));
        expect(after.appendResult?.logicsOffset).toBe(filled.acked);
        expect(after.appendResult?.wroteOffset).toBe(Math.ceil(maxPhy / FILE_SIZE) * FILE_SIZE);
        await waitDispatched(store, TOPIC, filled.acked + 1);
        expect(await readBodies(store, TOPIC)).toEqual(bodies(filled.acked + 1));
      } finally {
        await store.shutdown();
      }
      const again = await openOnDisk(disk, config);
      try {
        expect(again.recovery.mode).toBe("normal");
        const got = await readBodies(again, TOPIC);
        expect(got.at(-1)).toBe(`${BODY} ${got.length - 1}`);
        expect(got).toEqual(bodies(got.length));
      } finally {
        await again.shutdown();
      }
    });
  }

  it("loses nothing acknowledged when the store is reopened while the disk is still full", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, {
      flushDiskType: "SYNC_FLUSH",
      mappedFileSizeCommitLog: FILE_SIZE,
    });
    const filled = await fillDisk(disk, store);
    expect(filled.failure.status).toBe("CREATE_MAPEDFILE_FAILED");
    disk.processCrash();
    await store.halt();
    const again = await openOnDisk(disk, {
      flushDiskType: "SYNC_FLUSH",
      mappedFileSizeCommitLog: FILE_SIZE,
    });
    try {
      expect(again.recovery.mode).toBe("abnormal");
      expect(await readBodies(again, TOPIC)).toEqual(bodies(filled.acked));
      expect((await again.putMessage(message(TOPIC, 0))).status).toBe("CREATE_MAPEDFILE_FAILED");
      disk.heal();
      expect((await putOk(again, message(TOPIC, filled.acked))).appendResult?.logicsOffset).toBe(
        filled.acked,
      );
    } finally {
      await again.shutdown();
    }
  });
});

describe("CommitLog write errors (page-cache mode: a tick's appends are staged and written together)", () => {
  it("ASYNC_FLUSH: a failed write answers UNKNOWN_ERROR; the bytes stay staged and go out with the next write, in order", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, { flushDiskType: "ASYNC_FLUSH" });
    try {
      for (let i = 0; i < 3; i++) await putOk(store, message(TOPIC, i));
      disk.failOn("write", "EIO", { pathIncludes: "/commitlog/" });
      const failed = await store.putMessage(message(TOPIC, 3));
      expect(failed.status).toBe("UNKNOWN_ERROR");
      expect(isPutStored(failed)).toBe(true); // appended, holding its offsets; the write is retried
      expect(failed.reason).toMatch(/EIO.*may still be stored/);
      const next = await putOk(store, message(TOPIC, 4));
      // the retry wrote the staged record first: it kept its queue offset, nothing was reordered
      expect(next.appendResult?.logicsOffset).toBe(4);
      await waitDispatched(store, TOPIC, 5);
      expect(await readBodies(store, TOPIC)).toEqual(bodies(5));
    } finally {
      await store.shutdown();
    }
  });

  it("ASYNC_FLUSH: while the disk keeps failing, puts answer UNKNOWN_ERROR without taking a queue offset; they work again after heal()", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, { flushDiskType: "ASYNC_FLUSH" });
    try {
      await putOk(store, message(TOPIC, 0));
      disk.failOn("write", "ENOSPC", { pathIncludes: "/commitlog/", times: 1000 });
      expect((await store.putMessage(message(TOPIC, 1))).status).toBe("UNKNOWN_ERROR"); // staged, its write failed
      const maxPhy = store.commitLog.mappedFileQueue.getMaxWrotePosition();
      const refused = await store.putMessage(message(TOPIC, 99));
      expect(refused.status).toBe("UNKNOWN_ERROR");
      expect(refused.reason).toMatch(/ENOSPC|DISK_FULL|no space/i);
      expect(store.commitLog.mappedFileQueue.getMaxWrotePosition()).toBe(maxPhy); // nothing staged for it
      disk.heal();
      expect((await putOk(store, message(TOPIC, 2))).appendResult?.logicsOffset).toBe(2);
      await waitDispatched(store, TOPIC, 3);
      expect(await readBodies(store, TOPIC)).toEqual(bodies(3));
    } finally {
      await store.shutdown();
    }
  });

  it("SYNC_FLUSH: the group commit writes staged bytes before its fdatasync, so a failed first write still ends durable", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, { flushDiskType: "SYNC_FLUSH" });
    try {
      await putOk(store, message(TOPIC, 0));
      disk.failOn("write", "EIO", { pathIncludes: "/commitlog/" });
      const put = await putOk(store, message(TOPIC, 1));
      expect(put.appendResult?.logicsOffset).toBe(1);
      const end = (put.appendResult?.wroteOffset ?? 0) + (put.appendResult?.wroteBytes ?? 0);
      expect(store.commitLog.mappedFileQueue.flushedWhere).toBeGreaterThanOrEqual(end);
      await waitDispatched(store, TOPIC, 2);
      expect(await readBodies(store, TOPIC)).toEqual(bodies(2));
    } finally {
      await store.shutdown();
    }
  });
});

describe("CommitLog record size", () => {
  it("refuses a record that no segment file can hold (MESSAGE_ILLEGAL) instead of rolling over forever", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, {
      flushDiskType: "ASYNC_FLUSH",
      mappedFileSizeCommitLog: FILE_SIZE,
    });
    try {
      await putOk(store, message(TOPIC, 0));
      const files = disk.listFiles().length;
      const tooBig = await store.putMessage({ topic: TOPIC, body: Buffer.alloc(FILE_SIZE) });
      expect(tooBig.status).toBe("MESSAGE_ILLEGAL");
      expect(tooBig.reason).toMatch(/file/);
      const batch = Array.from({ length: 40 }, () => ({ topic: TOPIC, body: Buffer.alloc(100) }));
      expect((await store.putMessages(batch)).status).toBe("MESSAGE_ILLEGAL");
      expect(disk.listFiles().length).toBe(files);
      expect((await putOk(store, message(TOPIC, 1))).appendResult?.logicsOffset).toBe(1);
      // The largest record that fits an empty file (8 bytes to spare for the blank record) is fine.
      const header = 91 + TOPIC.length + CRC32_RESERVED_LENGTH; // the CRC property is the only one
      expect(
        (await store.putMessage({ topic: TOPIC, body: Buffer.alloc(FILE_SIZE - 8 - header) }))
          .status,
      ).toBe("PUT_OK");
      expect(
        (await store.putMessage({ topic: TOPIC, body: Buffer.alloc(FILE_SIZE - 7 - header) }))
          .status,
      ).toBe("MESSAGE_ILLEGAL");
    } finally {
      await store.shutdown();
    }
  });
});

describe("CommitLog SYNC_FLUSH", () => {
  it("answers FLUSH_DISK_TIMEOUT when fdatasync stalls past syncFlushTimeout; the message is stored and readable", async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, { flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 50 });
    let release = (): void => undefined;
    try {
      await putOk(store, message(TOPIC, 0));
      await waitDispatched(store, TOPIC, 1); // the consume queue's file exists (creating one syncs)
      release = disk.stallFsyncs();
      const started = Date.now();
      const result = await store.putMessage(message(TOPIC, 1));
      expect(result.status).toBe("FLUSH_DISK_TIMEOUT");
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      expect(isPutStored(result)).toBe(true);
      expect(result.appendResult?.logicsOffset).toBe(1);
      await waitDispatched(store, TOPIC, 2);
      expect(await readBodies(store, TOPIC)).toEqual(bodies(2));
      const offset = result.appendResult?.wroteOffset ?? -1;
      expect((await messageAt(store, offset)).body.toString()).toBe(`${BODY} 1`);
      release();
      await putOk(store, message(TOPIC, 2));
      expect(store.commitLog.mappedFileQueue.flushedWhere).toBe(store.getMaxPhyOffset());
    } finally {
      release();
      await store.shutdown();
    }
  });

  it(`does not wait for the disk when the message says ${PROPERTY_WAIT_STORE_MSG_OK}=false`, async () => {
    const disk = new SimulatedDisk();
    const store = await openOnDisk(disk, { flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 5000 });
    let release = (): void => undefined;
    try {
      await putOk(store, message(TOPIC, 0));
      release = disk.stallFsyncs();
      const started = Date.now();
      const result = await store.putMessage(
        message(TOPIC, 1, { properties: { [PROPERTY_WAIT_STORE_MSG_OK]: "false" } }),
      );
      expect(result.status).toBe("PUT_OK");
      expect(Date.now() - started).toBeLessThan(1000);
      expect(store.commitLog.mappedFileQueue.flushedWhere).toBeLessThan(store.getMaxPhyOffset());
      release();
      await waitFor(() => store.commitLog.mappedFileQueue.flushedWhere === store.getMaxPhyOffset());
    } finally {
      release();
      await store.shutdown();
    }
  });

  for (const pool of [false, true]) {
    it(`acknowledges only flushed messages${pool ? " (with a transient store pool)" : ""}: a power cut right after PUT_OK keeps every one`, async () => {
      const disk = new SimulatedDisk();
      const config: MessageStoreConfigInput = {
        flushDiskType: "SYNC_FLUSH",
        transientStorePoolEnable: pool,
        transientStorePoolSize: 3,
        mappedFileSizeCommitLog: FILE_SIZE,
      };
      const store = await openOnDisk(disk, config);
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => store.putMessage(message(TOPIC, i))),
      );
      expect(results.every((r) => r.status === "PUT_OK")).toBe(true);
      disk.powerCut();
      await store.halt();
      const again = await openOnDisk(disk, config);
      try {
        expect(await readBodies(again, TOPIC)).toEqual(bodies(40));
      } finally {
        await again.shutdown();
      }
    });
  }
});
