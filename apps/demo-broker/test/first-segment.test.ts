import { join } from "node:path";
import type { MessageStoreConfigInput } from "@store/commitlog";
import { MessageStore } from "@store/commitlog";
import type { StoreError } from "@store/mapped-file";
import { nodeFileIO } from "@store/mapped-file";
import { describe, expect, it } from "vitest";
import { prepareFirstSegment } from "../src/first-segment.js";
import { silentLogger, tempDir } from "./helpers.js";

describe("prepareFirstSegment", () => {
  const configs: MessageStoreConfigInput[] = [
    { flushDiskType: "SYNC_FLUSH" },
    { flushDiskType: "ASYNC_FLUSH" },
    { transientStorePoolEnable: true, transientStorePoolSize: 2 },
  ];
  for (const config of configs) {
    it(`creates the segment the first put appends to before any put (${JSON.stringify(config)})`, async () => {
      const { dir, cleanup } = await tempDir();
      const store = await MessageStore.open(
        { storePathRootDir: dir, mappedFileSizeCommitLog: 4 << 20, ...config },
        { logger: silentLogger },
      );
      try {
        expect(store.commitLog.mappedFileQueue.getLastMappedFile()).toBeNull();
        const report = await prepareFirstSegment(store);
        expect(report).toMatchObject({ fileFromOffset: 0, created: true });
        const first = join(dir, "commitlog", "00000000000000000000");
        expect((await nodeFileIO.stat(first))?.size).toBe(4 << 20);
        // zero-filled segments (SYNC_FLUSH): the one after it is ready too; sparse ones need no wait
        const next = join(dir, "commitlog", "00000000000004194304");
        expect(report.nextReady).toBe(config.flushDiskType === "SYNC_FLUSH" ? true : null);
        if (report.nextReady === true) expect((await nodeFileIO.stat(next))?.size).toBe(4 << 20);
        // the put appends to it at once: no segment creation on its path
        const file = store.commitLog.mappedFileQueue.getLastMappedFile();
        expect((await store.putMessage({ topic: "T", body: Buffer.from("first") })).status).toBe(
          "PUT_OK",
        );
        expect(store.commitLog.mappedFileQueue.getLastMappedFile()).toBe(file);
        expect((await prepareFirstSegment(store)).created).toBe(false);
      } finally {
        await store.shutdown();
        await cleanup();
      }
    });
  }

  it("fails with START_FAILED naming the cause when the segment cannot be created", async () => {
    const { dir, cleanup } = await tempDir();
    const io = {
      ...nodeFileIO,
      truncate: () =>
        Promise.reject(
          Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" }),
        ),
    };
    const store = await MessageStore.open(
      { storePathRootDir: dir, mappedFileSizeCommitLog: 1 << 20, preallocation: "sparse" },
      { logger: silentLogger, io },
    );
    try {
      const error = await prepareFirstSegment(store).then(
        () => null,
        (e: unknown) => e as StoreError,
      );
      expect(error?.code).toBe("START_FAILED");
      expect(error?.message).toMatch(/^cannot create the commit-log segment in .*: DISK_FULL /);
    } finally {
      await store.shutdown();
      await cleanup();
    }
  });

  it(
    "waits for a segment the disk is slow to zero-fill, past the allocator's 5 s wait",
    { tags: ["slow"] },
    async () => {
      const { dir, cleanup } = await tempDir();
      let slowed = false;
      // the first zero-fill write of the commit log stalls 6 s, as a busy disk does with a 1 GiB segment
      const io = {
        ...nodeFileIO,
        pwrite: async (
          fd: number,
          buffer: Buffer,
          offset: number,
          length: number,
          position: number,
        ): Promise<void> => {
          if (!slowed && length >= 4096 && buffer.every((byte) => byte === 0)) {
            slowed = true;
            await new Promise((resolve) => setTimeout(resolve, 6000));
          }
          return nodeFileIO.pwrite(fd, buffer, offset, length, position);
        },
      };
      const store = await MessageStore.open(
        { storePathRootDir: dir, mappedFileSizeCommitLog: 1 << 20, flushDiskType: "SYNC_FLUSH" },
        { logger: silentLogger, io },
      );
      try {
        const report = await prepareFirstSegment(store);
        expect(slowed).toBe(true);
        expect(report).toMatchObject({ fileFromOffset: 0, created: true });
        expect(report.elapsedMs).toBeGreaterThan(5000);
        expect((await store.putMessage({ topic: "T", body: Buffer.from("first") })).status).toBe(
          "PUT_OK",
        );
      } finally {
        await store.shutdown();
        await cleanup();
      }
    },
  );
});
