import { join } from "node:path";
import { Writable } from "node:stream";
import { nodeFileIO } from "@store/mapped-file";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatusReport } from "../src/demo-broker-app.js";
import { DemoBrokerApp } from "../src/demo-broker-app.js";
import { RequestCode, ResponseCode } from "@store/broker";
import { runLoad } from "../src/load-generator.js";
import { renderBanner } from "../src/start-banner.js";
import { WireClient } from "../src/wire-client.js";
import { silentLogger, tempDir, testConfig, waitFor } from "./helpers.js";

/** A logger whose JSON lines land in `lines`. */
function capturingLogger(lines: Record<string, unknown>[]) {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n"))
        if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: "info" }, stream);
}

describe("DemoBrokerApp", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const apps: DemoBrokerApp[] = [];
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.shutdown();
    await cleanup();
  });

  async function start(
    ...args: string[]
  ): Promise<{ app: DemoBrokerApp; base: string; logs: Record<string, unknown>[] }> {
    const logs: Record<string, unknown>[] = [];
    const app = await DemoBrokerApp.start(testConfig(dir, ...args), {
      logger: capturingLogger(logs),
    });
    apps.push(app);
    return { app, base: `http://127.0.0.1:${app.httpPort}`, logs };
  }

  const status = async (base: string) =>
    (await (await fetch(`${base}/api/status`)).json()) as StatusReport;

  /** Sends `messages` over the wire (SEND_MESSAGE_V2) to the app's broker; all must be acknowledged. */
  async function send(
    app: DemoBrokerApp,
    messages: number,
    size: number,
    topic = "Orders",
  ): Promise<void> {
    const brokerAddr = `127.0.0.1:${app.runtime.ports.listen}`;
    const outcome = await runLoad({
      brokerAddr,
      topic,
      queues: 4,
      messages,
      size,
      producers: 8,
      runId: "t",
    });
    expect(outcome.failed).toEqual([]);
    expect(outcome.acked).toHaveLength(messages);
  }

  it("starts with the first segment ready and reports the strategy, its promise and the ports", async () => {
    const { app, base, logs } = await start("--flushDiskType=SYNC_FLUSH");
    expect((await nodeFileIO.stat(join(dir, "commitlog", "00000000000000000000")))?.size).toBe(
      1 << 20,
    );
    const s = await status(base);
    expect(s.state).toBe("running");
    expect(s.strategy).toMatchObject({
      name: "SYNC_FLUSH",
      flushDiskType: "SYNC_FLUSH",
      services: ["GroupCommitService", "FlushDiskWatcher"],
    });
    expect(s.broker).toMatchObject({
      name: "broker-a",
      cluster: "DefaultCluster",
      storePath: dir,
      ports: { http: app.httpPort },
    });
    expect(s.positions).toMatchObject({ wrote: 0, committed: 0, flushed: 0 });
    expect(s.recovery.mode).toBe("empty");
    expect([s.topics, s.consumerGroups]).toEqual([[], []]);
    expect(logs.map((l) => String(l.msg))).toContainEqual(
      expect.stringMatching(/^commit-log segment 0 created in \d+ ms, before the ports open$/),
    );
    const banner = renderBanner(app.bannerInfo());
    expect(banner).toContain(
      "SYNC_FLUSH: acknowledged when an fdatasync covering the message has completed",
    );
    expect(banner).toContain(`http://127.0.0.1:${app.httpPort}/`);
    const ports = app.runtime.ports;
    expect(banner).toContain(
      `  ports      remoting ${ports.listen}, name server ${ports.namesrv}, gRPC ${ports.grpc}, http ${app.httpPort}`,
    );
    expect(banner).toContain(`nameSrv 127.0.0.1:${ports.namesrv}`);
    expect(banner).toContain(`bench --namesrvAddr=127.0.0.1:${ports.namesrv}`);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("moves the positions, topics, groups' lag and metrics while a producer sends over the wire", async () => {
    const { app, base } = await start(
      "--transientStorePoolEnable=true",
      "--transientStorePoolSize=2",
    );
    await send(app, 3000, 256);
    await waitFor(
      async () => (await status(base)).positions.commitLag === 0,
      10_000,
      "pool committed",
    );
    const s = await status(base);
    expect(s.positions.wrote).toBeGreaterThan(3000 * 256);
    expect(s.traffic.messagesIn).toBe(3000);
    await waitFor(
      async () => (await status(base)).topics[0]?.messages === 3000,
      10_000,
      "topics list",
    );
    expect((await status(base)).topics).toEqual([
      { topic: "Orders", queues: 4, messages: 3000, maxOffset: 3000 },
    ]);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /^rocketmq_messages_in_total\{topic="Orders",is_system="false",cluster="DefaultCluster",node_type="broker",node_id="broker-a"\} 3000$/m,
    );
    expect(metrics).toMatch(/^rocketmq_storage_wrote_position_bytes\{[^}]*\} [1-9]\d*$/m);
    expect(metrics).toMatch(
      /^rocketmq_storage_fdatasync_seconds_count\{[^}]*file="commitlog"[^}]*\} [1-9]\d*$/m,
    );

    // a 4.x group that committed 100 on queue 0, and a 5.x (pop) group that took 10 messages
    const client = await WireClient.connect(`127.0.0.1:${app.runtime.ports.listen}`);
    const commit = {
      consumerGroup: "GID_pull",
      topic: "Orders",
      queueId: "0",
      commitOffset: "100",
    };
    expect((await client.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, commit)).code).toBe(
      ResponseCode.SUCCESS,
    );
    await client.close();
    const popped = await app.runtime.broker.popService.pop({
      group: "GID_pop",
      topic: "Orders",
      maxMessages: 10,
      invisibleTimeMs: 60_000,
    });
    expect(popped.messages).toHaveLength(10);
    expect((await status(base)).consumerGroups).toEqual([
      { group: "GID_pop", topic: "Orders", lag: 2990 },
      { group: "GID_pull", topic: "Orders", lag: 2900 },
    ]);
  });

  it("shutdown flushes everything, removes abort and releases the lock: the next start recovers normally", async () => {
    const { app, base } = await start();
    await send(app, 500, 100);
    await app.shutdown();
    expect(await nodeFileIO.stat(join(dir, "abort"))).toBeNull();
    expect(await nodeFileIO.stat(join(dir, "lock"))).toBeNull();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    const again = await start();
    const s = await status(again.base);
    expect(s.recovery.mode).toBe("normal");
    expect(s.positions.flushed).toBe(s.positions.wrote);
    expect(s.positions.wrote).toBe(
      app.runtime.store.commitLog.mappedFileQueue.getMaxWrotePosition(),
    );
  });

  it("refuses a second start on the same store directory with STORE_LOCKED, the first keeps running", async () => {
    const { base } = await start();
    await expect(
      DemoBrokerApp.start(testConfig(dir), { logger: silentLogger }),
    ).rejects.toMatchObject({ code: "STORE_LOCKED" });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("after a crash, logs that abnormal recovery ran and what it cut", async () => {
    const first = await start("--flushDiskType=SYNC_FLUSH");
    await send(first.app, 200, 100);
    await first.app.runtime.store.halt(); // what kill -9 leaves: abort kept, nothing flushed at exit
    await first.app.shutdown(); // the broker's ports and services (the halted store stays as it was)
    apps.splice(apps.indexOf(first.app), 1);
    const { logs } = await start("--flushDiskType=SYNC_FLUSH");
    const abnormal = (l: Record<string, unknown>) =>
      (l.detail as { mode?: string } | undefined)?.mode === "abnormal";
    const recovery = logs.find(
      (l) => abnormal(l) && String(l.msg).startsWith("abnormal recovery ran"),
    );
    expect(recovery?.msg).toMatch(
      /scanned 200 records from offset 0, cut 0 bytes in 0 records \(stopped at END\), removed \d+ files/,
    );
    expect(recovery?.level).toBe(40);
  });
});
