// The README's opening example, run on the real file system so the README cannot drift.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MappedFileQueue } from "@store/file-queue";
import { describe, expect, it } from "vitest";
import { FlushManager } from "../src/index.js";

describe("README example", () => {
  it("wires a FlushManager over a MappedFileQueue, appends, and waits for the fdatasync", async () => {
    const root = await mkdtemp(join(tmpdir(), "flush-services-readme-"));
    try {
      const queue = new MappedFileQueue({
        storePath: join(root, "commitlog"),
        mappedFileSize: 1024 * 1024,
      });
      await queue.load();
      let physicMsgTimestamp = 0;
      const flush = new FlushManager(
        queue,
        { flushDiskType: "SYNC_FLUSH", syncFlushTimeout: 5000 },
        { onFlushed: (timestamp) => (physicMsgTimestamp = timestamp) },
      );
      flush.start();

      const file = await queue.getLastMappedFile(0);
      if (file === null) throw queue.lastCreateError ?? new Error("no file");
      expect(file.appendMessage(Buffer.from("hello, durable world"))).toBe(true);
      const status = await flush.handleDiskFlush(file.fileFromOffset + file.wrotePosition, true);
      expect(status).toBe("PUT_OK");
      expect(queue.flushedWhere).toBe(20);

      await flush.shutdown();
      await queue.shutdown(1000);
      expect(physicMsgTimestamp).toBe(0); // raw appends carry no store timestamp; records do
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
