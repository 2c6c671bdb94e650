import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BenchOptions } from "../src/bench-command.js";
import {
  benchExitCode,
  parseBenchArgs,
  renderBenchHelp,
  renderBenchResult,
  runBench,
} from "../src/bench-command.js";
import { DemoBrokerApp } from "../src/demo-broker-app.js";
import { main } from "../src/main.js";
import { silentLogger, tempDir, testConfig } from "./helpers.js";

function options(args: string[]): BenchOptions {
  const parsed = parseBenchArgs(args);
  if (parsed === "help") throw new Error("expected options");
  return parsed;
}

describe("parseBenchArgs", () => {
  it("takes --key=value options and flags, with defaults for the rest", () => {
    expect(
      parseBenchArgs(["--messages=10", "--size=128", "--verify", "--brokerAddr=127.0.0.1:10911"]),
    ).toMatchObject({
      messages: 10,
      size: 128,
      verify: true,
      json: false,
      producers: 64,
      brokerAddr: "127.0.0.1:10911",
      namesrvAddr: "127.0.0.1:9876",
    });
    expect(parseBenchArgs(["--help"])).toBe("help");
    expect(renderBenchHelp()).toMatch(/^ {2}--producers +64 +concurrent producers/m);
  });

  it("refuses an unknown option, a bad number and a bad address, naming them", () => {
    expect(() => parseBenchArgs(["--mesages=10"])).toThrow("unknown option --mesages");
    expect(() => parseBenchArgs(["--size=abc"])).toThrow("--size=abc is invalid");
    expect(() => parseBenchArgs(["--size=10"])).toThrow("--size=10 is invalid");
    expect(() => parseBenchArgs(["--brokerAddr=nohost"])).toThrow("expected host:port");
  });
});

describe("runBench", () => {
  let app: DemoBrokerApp;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    const temp = await tempDir("demo-broker-bench-");
    cleanup = temp.cleanup;
    app = await DemoBrokerApp.start(testConfig(temp.dir), { logger: silentLogger });
  });
  afterEach(async () => {
    await app.shutdown();
    await cleanup();
  });

  it("finds the broker through the name server, sends, reports rates and percentiles, and verifies everything", async () => {
    const namesrvAddr = `127.0.0.1:${app.runtime.ports.namesrv}`;
    const result = await runBench(
      options([
        `--namesrvAddr=${namesrvAddr}`,
        "--messages=2000",
        "--size=512",
        "--producers=8",
        "--verify",
      ]),
    );
    expect(result).toMatchObject({
      brokerAddr: `127.0.0.1:${app.runtime.ports.listen}`,
      acknowledged: 2000,
      failed: 0,
      queues: 4,
    });
    expect(result.verify).toMatchObject({
      ok: true,
      found: 2000,
      missing: 0,
      duplicated: 0,
      corrupt: 0,
    });
    expect(result.messagesPerSecond).toBeGreaterThan(0);
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p99);
    expect(benchExitCode(result)).toBe(0);
    expect(renderBenchResult(result)).toContain("verify OK");
    // a second run into the same topic verifies only its own messages
    const second = await runBench(
      options([
        `--brokerAddr=127.0.0.1:${app.runtime.ports.listen}`,
        "--messages=300",
        "--verify",
        "--producers=4",
      ]),
    );
    expect(second.verify).toMatchObject({ ok: true, found: 300 });
  });

  it("main prints JSON with --json and exits 1 when the broker cannot be reached", async () => {
    const out: string[] = [];
    const io = {
      stdout: (text: string) => out.push(text),
      stderr: (text: string) => out.push(text),
      pretty: false,
    };
    const code = await main(
      ["bench", `--brokerAddr=127.0.0.1:${app.runtime.ports.listen}`, "--messages=100", "--json"],
      io,
    );
    expect(code).toBe(0);
    expect(JSON.parse(out.join(""))).toMatchObject({ acknowledged: 100, failed: 0, verify: null });
    out.length = 0;
    expect(await main(["bench", "--namesrvAddr=127.0.0.1:1", "--messages=1"], io)).toBe(1);
    expect(out.join("")).toMatch(/^demo-broker bench: could not connect to 127\.0\.0\.1:1/);
  });
});
