import { afterEach, describe, expect, it } from "vitest";
import type { HttpHandlers } from "../src/http-server.js";
import { localAddress } from "../src/broker-config-keys.js";
import { StatusHttpServer } from "../src/http-server.js";
import type { LoadRequest } from "../src/load-writer.js";
import { silentLogger } from "./helpers.js";

describe("StatusHttpServer", () => {
  let server: StatusHttpServer | null = null;
  afterEach(async () => server?.stop());

  const loads: LoadRequest[] = [];
  let healthy = true;
  const handlers: HttpHandlers = {
    page: "<!doctype html><title>page</title>",
    status: () => Promise.resolve({ strategy: { name: "SYNC_FLUSH" } }),
    metrics: () => Promise.resolve({ contentType: "text/plain; version=0.0.4; charset=utf-8", body: "rocketmq_messages_in_total 1\n" }),
    health: () => (healthy ? { ok: true, reason: "" } : { ok: false, reason: "fdatasync failed" }),
    startLoad: (request) => {
      if (request.messages > 1000) return { refused: "invalid", reason: "messages must be an integer in [1, 1000]" };
      if (loads.length > 0) return { refused: "busy", reason: "a load run is in progress" };
      loads.push(request);
      return { running: true, topic: request.topic, requested: request.messages, stored: 0, failed: 0, firstFailure: null, startedAt: 1, elapsedMs: 0 };
    },
  };

  async function start(): Promise<string> {
    server = new StatusHttpServer(handlers, silentLogger);
    return `http://127.0.0.1:${await server.start(0, "127.0.0.1")}`;
  }

  it("serves the page, the status JSON and the metrics", async () => {
    const base = await start();
    const page = await fetch(`${base}/`);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("<title>page</title>");
    expect(await (await fetch(`${base}/api/status`)).json()).toEqual({ strategy: { name: "SYNC_FLUSH" } });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    expect(await metrics.text()).toBe("rocketmq_messages_in_total 1\n");
  });

  it("answers /healthz 200 while healthy and 503 with the reason otherwise", async () => {
    const base = await start();
    healthy = true;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    healthy = false;
    const sick = await fetch(`${base}/healthz`);
    expect(sick.status).toBe(503);
    expect(await sick.json()).toEqual({ status: "unavailable", reason: "fdatasync failed" });
    healthy = true;
  });

  it("starts a load run from POST /api/load with the query's numbers, refusing bad and concurrent ones", async () => {
    const base = await start();
    loads.length = 0;
    const started = await fetch(`${base}/api/load?messages=100&size=64&concurrency=4&topic=T1&queues=2`, { method: "POST" });
    expect(started.status).toBe(202);
    expect(loads).toEqual([{ messages: 100, size: 64, concurrency: 4, topic: "T1", queues: 2 }]);
    expect((await fetch(`${base}/api/load?messages=10`, { method: "POST" })).status).toBe(409);
    const bad = await fetch(`${base}/api/load?messages=5000`, { method: "POST" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "messages must be an integer in [1, 1000]" });
    loads.length = 0;
  });

  it("refuses POST /api/load from another host (it writes to the store)", async () => {
    const address = localAddress(); // a non-loopback address of this machine: requests to it do not come from 127.0.0.1
    server = new StatusHttpServer(handlers, silentLogger);
    const port = await server.start(0, address);
    loads.length = 0;
    const refused = await fetch(`http://${address}:${port}/api/load?messages=1`, { method: "POST" });
    expect(refused.status).toBe(403);
    expect(loads).toEqual([]);
    expect((await fetch(`http://${address}:${port}/healthz`)).status).toBe(200);
  });

  it("answers 404 for unknown paths and 405 for a wrong method", async () => {
    const base = await start();
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/api/load`)).status).toBe(405);
    expect((await fetch(`${base}/metrics`, { method: "POST", body: "x".repeat(10_000) })).status).toBe(405);
  });

  it("stop() closes the port", async () => {
    const base = await start();
    await fetch(`${base}/healthz`); // leaves a keep-alive connection open
    await server?.stop();
    server = null;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
