import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseCommandLine } from "../src/config.js";
import { formatReport, runDemo } from "../src/demo.js";
import { main } from "../src/main.js";

const logger = pino({ level: "silent" });

describe("runDemo", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "demo-broker-"))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  for (const args of [["--flushDiskType=SYNC_FLUSH"], ["--flushDiskType=ASYNC_FLUSH"], ["--transientStorePoolEnable=true", "--transientStorePoolSize=2"]]) {
    it(`appends, reads back and ends fully flushed (${args.join(" ")})`, async () => {
      const config = parseCommandLine([`--storePathRootDir=${dir}`, "--mappedFileSizeCommitLog=65536", "--demoMessages=2000", ...args]);
      const report = await runDemo(config, logger);
      expect(report.readBack).toBe(2000);
      const last = report.positions.at(-1);
      expect(last?.wrote).toBeGreaterThan(2000 * 90);
      expect(last?.flushed).toBe(last?.wrote);
      expect(last?.committed).toBe(last?.wrote);
      expect(last?.files).toBeGreaterThan(1);
      expect(formatReport(report)).toContain("read back 2000");
    });
  }

  it("continues an existing store after a restart", async () => {
    const config = parseCommandLine([`--storePathRootDir=${dir}`, "--demoMessages=10", "--mappedFileSizeCommitLog=65536"]);
    const first = await runDemo(config, logger);
    const second = await runDemo(config, logger);
    expect(second.recovery).toBe("normal");
    expect(second.positions[0]?.wrote).toBe(first.positions.at(-1)?.wrote);
  });
});

describe("main", () => {
  it("exits 2 with the key named on a bad command line", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(await main(["--flushDiskType=NOPE"])).toBe(2);
    expect(String(error.mock.calls[0]?.[0])).toContain("flushDiskType");
    error.mockRestore();
  });
});
