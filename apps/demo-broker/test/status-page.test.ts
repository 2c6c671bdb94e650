import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AliOnsProcess } from "./ali-ons-process.js";
import { BrokerProcess } from "./broker-process.js";
import { tempDir } from "./helpers.js";

/** Debian's chromium, as .ci/run installs it. */
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Set to write the README's picture (docs/status-page.png) from this run. */
const UPDATE_PICTURE = process.env.DEMO_BROKER_SCREENSHOT === "1";

/** An unmodified ali-ons producer sending `messages` 1 KiB messages to PageTopic through the broker's name server. */
function produce(namesrvPort: number, messages: number): AliOnsProcess {
  return new AliOnsProcess({
    mode: "produce",
    nameSrv: `127.0.0.1:${namesrvPort}`,
    group: "PID_page",
    topic: "PageTopic",
    count: messages,
    size: 1024,
  });
}

describe("status page in headless Chromium", () => {
  let browser: Browser;
  let broker: BrokerProcess;
  let cleanup: () => Promise<void>;
  let base: string;
  let httpPort: number;
  let namesrvPort: number;

  beforeAll(async () => {
    if (process.env.STORE_SLOW_TESTS !== "1") return; // the test is tagged slow: nothing to set up
    const temp = await tempDir("demo-broker-page-");
    cleanup = temp.cleanup;
    broker = new BrokerProcess(
      [
        "--httpPort=0",
        "--listenPort=0",
        "--namesrvPort=0",
        "--grpcPort=0",
        "--mappedFileSizeCommitLog=16777216",
      ],
      temp.dir,
    );
    const { ports } = await broker.ready();
    httpPort = ports.http;
    namesrvPort = ports.namesrv ?? 0;
    base = `http://127.0.0.1:${httpPort}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await broker?.kill();
    await cleanup?.();
  });

  it(
    "loads offline, names the strategy and its promise, and its plot advances while a producer sends",
    { tags: ["slow"] },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const foreign: string[] = [];
      page.on("request", (request) => {
        if (!request.url().startsWith(base)) foreign.push(request.url());
      });
      await page.goto(`${base}/`);
      await expect.poll(() => page.textContent("#strategy")).toBe("ASYNC_FLUSH");
      expect(await page.textContent("#ack")).toBe(
        "the bytes are in the OS page cache (written to the file)",
      );
      expect(await page.textContent("#groups")).toContain("No consumer groups yet.");
      // the plot's canvas carries how many samples it drew and the last wrote position it plotted
      const points = async () =>
        Number((await page.getAttribute("#positions", "data-points")) ?? 0);
      const plotted = async () => Number((await page.getAttribute("#positions", "data-last")) ?? 0);
      await expect.poll(points, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      const before = await plotted();

      // the picture shows a steady stream over a minute; the test itself needs a few thousand messages
      const producer = produce(namesrvPort, UPDATE_PICTURE ? 200_000 : 3000);
      await expect.poll(plotted, { timeout: 60_000 }).toBeGreaterThan(before + 1024 * 1024);
      await expect
        .poll(() => page.textContent("#topics"), { timeout: 15_000 })
        .toContain("PageTopic");
      expect(producer.all("sent").every((event) => event.status === "SEND_OK")).toBe(true);
      // a consumer group shows up with its lag once an ali-ons consumer commits its offsets
      new AliOnsProcess({
        mode: "consume",
        nameSrv: `127.0.0.1:${namesrvPort}`,
        group: "GID_page",
        topic: "PageTopic",
      });
      await expect
        .poll(() => page.textContent("#groups"), { timeout: 30_000 })
        .toContain("GID_page");
      expect(foreign).toEqual([]);

      if (UPDATE_PICTURE) await expect.poll(points, { timeout: 60_000 }).toBeGreaterThanOrEqual(60);
      const picture = await page.screenshot({ fullPage: true });
      expect(picture.subarray(1, 4).toString()).toBe("PNG");
      if (UPDATE_PICTURE) {
        const docs = fileURLToPath(new URL("../docs/", import.meta.url));
        await mkdir(docs, { recursive: true });
        await writeFile(`${docs}status-page.png`, picture);
      }
      await page.close();
    },
  );
});
