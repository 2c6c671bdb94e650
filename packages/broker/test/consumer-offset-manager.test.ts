import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConsumerOffsetManager } from "../src/index.js";
import { silentLogger, tempDir } from "./helpers.js";

describe("ConsumerOffsetManager", () => {
  it("keeps committed offsets per group, topic and queue and survives a reload", async () => {
    const configDir = await tempDir();
    const offsets = new ConsumerOffsetManager({ configDir, logger: silentLogger });
    offsets.commitOffset("g1", "orders", 0, 12);
    offsets.commitOffset("g1", "orders", 1, 3);
    offsets.commitOffset("g2", "orders", 0, 7);
    expect(offsets.queryOffset("g1", "orders", 0)).toBe(12);
    expect(offsets.queryOffset("g1", "orders", 2)).toBe(-1);
    await offsets.persist();
    const json = JSON.parse(
      await readFile(join(configDir, "consumerOffset.json"), "utf8"),
    ) as unknown;
    expect(json).toEqual({
      offsetTable: { "orders@g1": { "0": 12, "1": 3 }, "orders@g2": { "0": 7 } },
    });
    const reloaded = new ConsumerOffsetManager({ configDir, logger: silentLogger });
    await reloaded.load();
    expect(reloaded.queryOffset("g2", "orders", 0)).toBe(7);
    expect(reloaded.whichGroupByTopic("orders").sort()).toEqual(["g1", "g2"]);
  });

  it("ignores negative commits (ali-ons sends -1 for unconsumed queues)", () => {
    const offsets = new ConsumerOffsetManager({ configDir: "/nonexistent", logger: silentLogger });
    offsets.commitOffset("g", "t", 0, 5);
    offsets.commitOffset("g", "t", 0, -1);
    expect(offsets.queryOffset("g", "t", 0)).toBe(5);
  });

  it("refuses a corrupt file instead of forgetting offsets", async () => {
    const configDir = await tempDir();
    const fs = await import("node:fs/promises");
    await fs.writeFile(
      join(configDir, "consumerOffset.json"),
      JSON.stringify({ offsetTable: { "t@g": { "0": -5 } } }),
    );
    await expect(
      new ConsumerOffsetManager({ configDir, logger: silentLogger }).load(),
    ).rejects.toMatchObject({ code: "CONFIG_FILE_CORRUPT" });
  });
});
