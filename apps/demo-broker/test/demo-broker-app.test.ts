import { join } from "node:path";
import { Writable } from "node:stream";
import { nodeFileIO } from "@store/mapped-file";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatusReport } from "../src/demo-broker-app.js";
import { DemoBrokerApp } from "../src/demo-broker-app.js";
import { renderBanner } from "../src/start-banner.js";
import { silentLogger, tempDir, testConfig, waitFor } from "./helpers.js";

/** A logger whose JSON lines land in `lines`. */
function capturingLogger(lines: Record<string, unknown>[]) {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
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

  async function start(...args: string[]): Promise<{ app: DemoBrokerApp; base: string; logs: Record<string, unknown>[] }> {
    const logs: Record<string, unknown>[] = [];
    const app = await DemoBrokerApp.start(testConfig(dir, ...args), { logger: capturingLogger(logs) });
    apps.push(app);
    return { app, base: `http://127.0.0.1:${app.httpPort}`, logs };
  }

  const status = async (base: string) => (await (await fetch(`${base}/api/status`)).json()) as StatusReport;

  it("starts with the first segment ready and reports the strategy, its promise and the ports", async () => {
    const { app, base, logs } = await start("--flushDiskType=SYNC_FLUSH");
    expect((await nodeFileIO.stat(join(dir, "commitlog", "00000000000000000000")))?.size).toBe(1 << 20);
    const s = await status(base);
    expect(s.state).toBe("running");
    expect(s.strategy).toMatchObject({ name: "SYNC_FLUSH", flushDiskType: "SYNC_FLUSH", services: ["GroupCommitService", "FlushDiskWatcher"] });
    expect(s.broker).toMatchObject({ name: "broker-a", cluster: "DefaultCluster", storePath: dir, ports: { http: app.httpPort } });
    expect(s.positions).toMatchObject({ wrote: 0, committed: 0, flushed: 0 });
    expect(s.recovery.mode).toBe("empty");
    expect([s.topics, s.consumerGroups]).toEqual([[], []]);
    expect(logs.map((l) => String(l.msg))).toContainEqual(expect.stringMatching(/^commit-log segment 0 created in \d+ ms, before the ports open$/));
    const banner = renderBanner(app.bannerInfo());
    expect(banner).toContain("SYNC_FLUSH: acknowledged when an fdatasync covering the message has completed");
    expect(banner).toContain(`http://127.0.0.1:${app.httpPort}/`);
    expect(banner).toContain(`  ports      http ${app.httpPort}\n             remoting 10911, name server 9876, gRPC 8081: not served yet`);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("moves the positions, topics and metrics while the in-process load writes", async () => {
    const { base } = await start("--transientStorePoolEnable=true", "--transientStorePoolSize=2");
    const load = await fetch(`${base}/api/load?messages=3000&size=256&topic=Orders&queues=4`, { method: "POST" });
    expect(load.status).toBe(202);
    await waitFor(async () => (await status(base)).load.stored === 3000, 20_000, "3000 messages stored");
    await waitFor(async () => (await status(base)).positions.commitLag === 0, 10_000, "pool committed");
    const s = await status(base);
    expect(s.positions.wrote).toBeGreaterThan(3000 * 256);
    expect(s.traffic.messagesIn).toBe(3000);
    await waitFor(async () => (await status(base)).topics[0]?.messages === 3000, 10_000, "topics list");
    expect((await status(base)).topics).toEqual([{ topic: "Orders", queues: 4, messages: 3000, maxOffset: 3000 }]);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^rocketmq_messages_in_total\{topic="Orders",is_system="false",cluster="DefaultCluster",node_type="broker",node_id="broker-a"\} 3000$/m);
    expect(metrics).toMatch(/^rocketmq_storage_wrote_position_bytes\{[^}]*\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^rocketmq_storage_fdatasync_seconds_count\{[^}]*file="commitlog"[^}]*\} [1-9]\d*$/m);
  });

  it("shutdown flushes everything, removes abort and releases the lock: the next start recovers normally", async () => {
    const { app, base } = await start();
    await fetch(`${base}/api/load?messages=500&size=100`, { method: "POST" });
    await app.shutdown();
    expect(await nodeFileIO.stat(join(dir, "abort"))).toBeNull();
    expect(await nodeFileIO.stat(join(dir, "lock"))).toBeNull();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    const again = await start();
    const s = await status(again.base);
    expect(s.recovery.mode).toBe("normal");
    expect(s.positions.flushed).toBe(s.positions.wrote);
    expect(s.positions.wrote).toBe(app.runtime.store.commitLog.mappedFileQueue.getMaxWrotePosition());
  });

  it("refuses a second start on the same store directory with STORE_LOCKED, the first keeps running", async () => {
    const { base } = await start();
    await expect(DemoBrokerApp.start(testConfig(dir), { logger: silentLogger })).rejects.toMatchObject({ code: "STORE_LOCKED" });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("after a crash, logs that abnormal recovery ran and what it cut", async () => {
    const first = await start("--flushDiskType=SYNC_FLUSH");
    await fetch(`${first.base}/api/load?messages=200&size=100`, { method: "POST" });
    await waitFor(async () => (await status(first.base)).load.stored === 200, 10_000, "200 stored");
    await first.app.runtime.store.halt(); // what kill -9 leaves: abort kept, nothing flushed at exit
    apps.splice(apps.indexOf(first.app), 1);
    const { logs } = await start("--flushDiskType=SYNC_FLUSH");
    const abnormal = (l: Record<string, unknown>) => (l.detail as { mode?: string } | undefined)?.mode === "abnormal";
    const recovery = logs.find((l) => abnormal(l) && String(l.msg).startsWith("abnormal recovery ran"));
    expect(recovery?.msg).toMatch(/scanned 200 records from offset 0, cut 0 bytes in 0 records \(stopped at END\), removed \d+ files/);
    expect(recovery?.level).toBe(40);
  });
});
