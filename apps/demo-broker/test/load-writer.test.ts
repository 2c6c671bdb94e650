import type { MessagesInEvent } from "@store/broker";
import { MessageStore } from "@store/commitlog";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LoadProgress, LoadRefusal } from "../src/load-writer.js";
import { LoadWriter } from "../src/load-writer.js";
import { silentLogger, tempDir, waitFor } from "./helpers.js";

describe("LoadWriter", () => {
  let cleanup: () => Promise<void>;
  let store: MessageStore;
  const events: MessagesInEvent[] = [];
  beforeEach(async () => {
    const temp = await tempDir();
    cleanup = temp.cleanup;
    events.length = 0;
    store = await MessageStore.open({ storePathRootDir: temp.dir, mappedFileSizeCommitLog: 1 << 20 }, { logger: silentLogger });
  });
  afterEach(async () => {
    await store.shutdown();
    await cleanup();
  });

  const request = { messages: 500, size: 200, concurrency: 16, topic: "LoadTopic", queues: 4 };

  it("writes the messages spread over the queues and tells the observer about each send", async () => {
    const writer = new LoadWriter(store, { messagesIn: (event) => events.push(event) });
    expect(writer.start(request)).toMatchObject({ running: true, requested: 500 });
    await waitFor(() => !writer.progress.running, 20_000, "load run");
    expect(writer.progress).toMatchObject({ stored: 500, failed: 0, firstFailure: null });
    expect(events).toHaveLength(500);
    expect(events[0]).toMatchObject({ topic: "LoadTopic", status: "PUT_OK", messages: 1, bodyBytes: 200 });
    await waitFor(() => store.dispatchBehindBytes() === 0, 10_000, "dispatch");
    for (let queue = 0; queue < 4; queue++) expect(store.getMaxOffsetInQueue("LoadTopic", queue)).toBe(125);
  });

  it("refuses a second run while one is in progress, and requests outside the limits", async () => {
    const writer = new LoadWriter(store, {});
    writer.start({ ...request, messages: 50_000 });
    expect(writer.start(request)).toEqual({ refused: "busy", reason: "a load run is in progress" });
    await writer.stop();
    const fresh = new LoadWriter(store, {});
    const refusal = (result: LoadProgress | LoadRefusal): string => ("refused" in result ? `${result.refused}: ${result.reason}` : "started");
    expect(refusal(fresh.start({ ...request, messages: 0 }))).toBe("invalid: messages must be an integer in [1, 10000000]");
    expect(refusal(fresh.start({ ...request, size: 5 * 1024 * 1024 }))).toBe("invalid: size must be an integer number of bytes in [1, 4194304]");
    expect(refusal(fresh.start({ ...request, concurrency: 5000 }))).toBe("invalid: concurrency must be an integer in [1, 1024]");
    expect(refusal(fresh.start({ ...request, topic: "../etc" }))).toMatch(/^invalid: topic must match/);
  });

  it("stop() ends the run early and waits for the puts in flight", async () => {
    const writer = new LoadWriter(store, { messagesIn: (event) => events.push(event) });
    writer.start({ ...request, messages: 1_000_000 });
    await waitFor(() => writer.progress.stored > 100, 10_000, "some puts");
    await writer.stop();
    const { stored, running } = writer.progress;
    expect(running).toBe(false);
    expect(stored).toBeLessThan(1_000_000);
    expect(events).toHaveLength(stored);
    expect(writer.start(request)).toMatchObject({ refused: "stopped" });
  });

  it("counts failed puts with the first failure's status", async () => {
    const writer = new LoadWriter(store, {});
    await store.shutdown();
    writer.start({ ...request, messages: 10 });
    await waitFor(() => !writer.progress.running, 10_000, "load run");
    expect(writer.progress).toMatchObject({ stored: 0, failed: 10 });
    expect(writer.progress.firstFailure).toMatch(/^SERVICE_NOT_AVAILABLE/);
  });
});
