import { afterEach, describe, expect, it } from "vitest";
import type { HttpHandlers } from "../src/http-server.js";
import { StatusHttpServer } from "../src/http-server.js";
import { silentLogger } from "./helpers.js";

describe("StatusHttpServer", () => {
  let server: StatusHttpServer | null = null;
  afterEach(async () => server?.stop());

  let healthy = true;
  const handlers: HttpHandlers = {
    page: "<!doctype html><title>page</title>",
    status: () => Promise.resolve({ strategy: { name: "SYNC_FLUSH" } }),
    metrics: () =>
      Promise.resolve({
        contentType: "text/plain; version=0.0.4; charset=utf-8",
        body: "rocketmq_messages_in_total 1\n",
      }),
    health: () => (healthy ? { ok: true, reason: "" } : { ok: false, reason: "fdatasync failed" }),
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
    expect(await (await fetch(`${base}/api/status`)).json()).toEqual({
      strategy: { name: "SYNC_FLUSH" },
    });
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

  it("answers 404 for unknown paths and 405 for a wrong method", async () => {
    const base = await start();
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/api/load`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${base}/api/status`, { method: "POST" })).status).toBe(405);
    expect(
      (await fetch(`${base}/metrics`, { method: "POST", body: "x".repeat(10_000) })).status,
    ).toBe(405);
  });

  it("stop() closes the port", async () => {
    const base = await start();
    await fetch(`${base}/healthz`); // leaves a keep-alive connection open
    await server?.stop();
    server = null;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
