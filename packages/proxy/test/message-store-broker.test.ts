import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MessageStore } from "@store/commitlog";
import { MessageStoreBroker } from "../src/index.js";
import { silentLogger, waitFor } from "./proxy-test-kit.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function open(
  dir: string,
  options: Partial<Parameters<typeof MessageStoreBroker.open>[0]> = {},
): Promise<{ store: MessageStore; broker: MessageStoreBroker }> {
  const store = await MessageStore.open(
    { storePathRootDir: dir, mappedFileSizeCommitLog: 1024 * 1024 },
    { logger: silentLogger },
  );
  const broker = await MessageStoreBroker.open({
    messageStore: store,
    logger: silentLogger,
    ...options,
  });
  return { store, broker };
}

describe("MessageStoreBroker", () => {
  it("auto-creates topics with the default queue count, or refuses them when auto-create is off", async () => {
    const dir = await mkdtemp(join(tmpdir(), "msb-"));
    dirs.push(dir);
    const { store, broker } = await open(dir, { defaultTopicQueueNums: 3 });
    expect(await broker.getTopicQueues("New")).toEqual({ readQueueNums: 3, writeQueueNums: 3 });
    await broker.shutdown();
    await store.shutdown();
    const closed = await open(dir, { autoCreateTopicEnable: false });
    expect(await closed.broker.getTopicQueues("Other")).toBeNull();
    await closed.broker.shutdown();
    await closed.store.shutdown();
  });

  it("after a restart knows the store's topics with their queue counts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "msb-"));
    dirs.push(dir);
    const first = await open(dir);
    for (let queueId = 0; queueId < 6; queueId++)
      await first.broker.sendMessage({ topic: "Wide", queueId, body: Buffer.from("x") });
    await waitFor(() => first.store.getMaxOffsetInQueue("Wide", 5) === 1);
    await first.broker.shutdown();
    await first.store.shutdown();
    const second = await open(dir, { autoCreateTopicEnable: false });
    expect(await second.broker.getTopicQueues("Wide")).toEqual({
      readQueueNums: 6,
      writeQueueNums: 6,
    });
    await second.broker.shutdown();
    await second.store.shutdown();
  });
});
