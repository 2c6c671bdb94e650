import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SCHEDULE_TOPIC } from "@store/message-codec";
import { describe, expect, it } from "vitest";
import { TopicConfigManager } from "../src/index.js";
import { silentLogger, tempDir } from "./helpers.js";

function manager(configDir: string, autoCreateTopicEnable = true): TopicConfigManager {
  return new TopicConfigManager({
    configDir,
    defaultTopicQueueNums: 4,
    autoCreateTopicEnable,
    delayLevelCount: 18,
    logger: silentLogger,
  });
}

describe("TopicConfigManager", () => {
  it("creates a topic on first use with defaultTopicQueueNums and persists it atomically", async () => {
    const dir = await tempDir();
    const topics = manager(dir);
    expect(topics.createTopicInSendMessageMethod("orders", 8)).toMatchObject({
      topicName: "orders",
      readQueueNums: 4,
      writeQueueNums: 4,
      perm: 6,
    });
    await topics.persist();
    const json = JSON.parse(await readFile(join(dir, "topics.json"), "utf8")) as {
      topicConfigTable: Record<string, unknown>;
    };
    expect(json.topicConfigTable.orders).toMatchObject({ writeQueueNums: 4 });
    const reloaded = manager(dir);
    await reloaded.load();
    expect(reloaded.selectTopicConfig("orders")?.readQueueNums).toBe(4);
  });

  it("has SCHEDULE_TOPIC_XXXX with one queue per delay level and TBW102 while auto-creating", () => {
    const topics = manager("/nonexistent");
    expect(topics.selectTopicConfig(SCHEDULE_TOPIC)?.writeQueueNums).toBe(18);
    expect(topics.selectTopicConfig("TBW102")?.perm).toBe(7);
    expect(manager("/nonexistent", false).selectTopicConfig("TBW102")).toBeUndefined();
  });

  it("creates retry and DLQ topics even when auto-creation is off", () => {
    const topics = manager("/nonexistent", false);
    expect(topics.createTopicInSendMessageMethod("orders")).toBeNull();
    expect(topics.createTopicInSendMessageBackMethod("%RETRY%g", 1).writeQueueNums).toBe(1);
  });

  it("refuses a topic name that could leave the store directory or is too long", () => {
    const topics = manager("/nonexistent");
    expect(() => topics.createTopicInSendMessageMethod("../etc")).toThrow(/has characters outside/);
    expect(() => topics.createTopicInSendMessageMethod("a".repeat(128))).toThrow(/longer than 127/);
    expect(topics.selectTopicConfig("../etc")).toBeUndefined();
  });

  it("refuses a corrupt topics.json instead of starting empty", async () => {
    const dir = await tempDir();
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(join(dir, "topics.json"), "{not json"),
    );
    await expect(manager(dir).load()).rejects.toMatchObject({ code: "CONFIG_FILE_CORRUPT" });
  });

  it("tells listeners about changes and bumps the data version", () => {
    const topics = manager("/nonexistent-dir-for-listener");
    let changes = 0;
    topics.onChange(() => changes++);
    const before = topics.dataVersion.counter;
    topics.createTopicInSendMessageBackMethod("%DLQ%g", 1);
    expect(changes).toBe(1);
    expect(topics.dataVersion.counter).toBe(before + 1);
  });
});
