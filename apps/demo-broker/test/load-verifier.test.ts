import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DemoBrokerApp } from "../src/demo-broker-app.js";
import { runLoad } from "../src/load-generator.js";
import { verifyLoad } from "../src/load-verifier.js";
import { silentLogger, tempDir, testConfig } from "./helpers.js";

describe("verifyLoad", () => {
  let app: DemoBrokerApp;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    const temp = await tempDir("demo-broker-verify-");
    cleanup = temp.cleanup;
    app = await DemoBrokerApp.start(testConfig(temp.dir), { logger: silentLogger });
  });
  afterEach(async () => {
    await app.shutdown();
    await cleanup();
  });

  it("reports acknowledged messages that are missing, at another offset, or stored twice", async () => {
    const brokerAddr = `127.0.0.1:${app.runtime.ports.listen}`;
    const plan = {
      brokerAddr,
      topic: "VerifyTopic",
      queues: 2,
      messages: 200,
      size: 100,
      producers: 4,
      runId: "v",
    };
    const outcome = await runLoad(plan);
    expect(outcome.acked).toHaveLength(200);
    const clean = await verifyLoad({ ...plan, acked: outcome.acked });
    expect(clean).toMatchObject({
      ok: true,
      found: 200,
      missing: [],
      misplaced: [],
      duplicated: [],
      corrupt: [],
      gaps: [],
    });

    const [first, ...rest] = outcome.acked;
    const tampered = [
      { ...first!, queueOffset: first!.queueOffset + 1000 },
      ...rest,
      { ...first!, sequence: 9999 },
    ];
    const report = await verifyLoad({ ...plan, acked: tampered });
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual([9999]);
    expect(report.misplaced).toEqual([first!.sequence]);

    await runLoad({ ...plan, messages: 3 }); // the same run id again: sequences 0..2 stored twice
    const twice = await verifyLoad({ ...plan, acked: outcome.acked });
    expect(twice.duplicated.sort((a, b) => a - b)).toEqual([0, 1, 2]);
    expect(twice.ok).toBe(false);
  });
});
