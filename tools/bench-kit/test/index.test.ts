import { describe, expect, it, vi } from "vitest";
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fdatasyncLatency, mbPerSec, percentile, rawWriteBaseline, report } from "../src/index.js";

describe("percentile", () => {
  it("picks the nearest-rank value", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile(values, 1)).toBe(100);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe("baselines", () => {
  it("measures a raw write of the requested size and removes its files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bench-kit-"));
    try {
      const raw = rawWriteBaseline({ dir, totalBytes: 4 * 1024 * 1024, fileSize: 2 * 1024 * 1024 });
      expect(raw.bytes).toBe(4 * 1024 * 1024);
      expect(raw.mbPerSec).toBeGreaterThan(0);
      expect(raw.syncSeconds).toBeGreaterThan(0);
      expect(raw.syncSeconds).toBeLessThan(raw.seconds);
      const latency = await fdatasyncLatency({ dir, writeBytes: 4096, iterations: 5 });
      expect(latency.p99Ms).toBeGreaterThanOrEqual(latency.p50Ms);
      const sparse = rawWriteBaseline({
        dir,
        totalBytes: 3 * 1024 * 1024,
        fileSize: 2 * 1024 * 1024,
        preallocation: "sparse",
      });
      expect(sparse.bytes).toBe(3 * 1024 * 1024); // a full file and a 1 MiB last one
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("converts bytes and milliseconds to MB/s", () => {
    expect(mbPerSec(2_000_000, 500)).toBe(4);
  });
});

describe("report", () => {
  it("prints a JSON line and a markdown table with every column", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    report(
      "demo",
      [
        { case: "a", mbPerSec: 1.23456 },
        { case: "b", ratio: 0.5 },
      ],
      { baselineMbPerSec: 10 },
    );
    const [json, table] = log.mock.calls.map((call) => String(call[0]));
    log.mockRestore();
    expect(JSON.parse(json ?? "")).toMatchObject({
      bench: "demo",
      baselineMbPerSec: 10,
      rows: [{ case: "a" }, { case: "b" }],
    });
    expect(table).toContain("| case | mbPerSec | ratio |");
    expect(table).toContain("| a | 1.235 |  |");
  });
});
