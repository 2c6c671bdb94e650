import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { Producer, SimpleConsumer } from "rocketmq-client-nodejs";
import type { MessageView } from "rocketmq-client-nodejs";
import { clientLogger, waitFor, withTimeout } from "./proxy-test-kit.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/proxy-process.mjs", import.meta.url));
const children: ChildProcess[] = [];
const clients: { shutdown(): Promise<void> }[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const client of clients.splice(0))
    await withTimeout(client.shutdown(), 30_000, "client shutdown").catch(() => undefined);
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Starts the broker process on `dir`; resolves its endpoints once it serves. */
async function spawnBroker(dir: string): Promise<{ child: ChildProcess; endpoints: string }> {
  const child = spawn(process.execPath, [FIXTURE, dir], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const port = await withTimeout(
    new Promise<number>((resolve, reject) => {
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split("\n")[0];
        if (output.includes("\n") && line !== undefined) resolve((JSON.parse(line) as { port: number }).port);
      });
      child.once("exit", (code) => reject(new Error(`broker process exited with ${code}`)));
    }),
    20_000,
    "broker process start",
  );
  return { child, endpoints: `127.0.0.1:${port}` };
}

async function started<T extends { startup(): Promise<void>; shutdown(): Promise<void> }>(client: T): Promise<T> {
  clients.push(client);
  await withTimeout(client.startup(), 15_000, "client startup");
  return client;
}

describe("GrpcProxy in a broker process killed with SIGKILL", () => {
  it("redelivers only the un-acked message after the restart, nothing acked", { tags: ["slow"] }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "proxy-kill-"));
    dirs.push(dir);
    const first = await spawnBroker(dir);
    const producer = await started(
      new Producer({ endpoints: first.endpoints, namespace: "", logger: clientLogger, topics: ["Crash"] }),
    );
    for (let i = 0; i < 10; i++) await producer.send({ topic: "Crash", body: Buffer.from(`m${i}`) });
    const options = {
      namespace: "",
      logger: clientLogger,
      consumerGroup: "GID_crash",
      subscriptions: new Map([["Crash", "*"]]),
      awaitDuration: 2000,
    };
    const consumer = await started(new SimpleConsumer({ ...options, endpoints: first.endpoints }));
    const got: MessageView[] = [];
    await waitFor(
      async () => {
        got.push(...(await consumer.receive(32, 3000)));
        return got.length >= 10;
      },
      20_000,
      "all ten messages",
    );
    const pending = new Set(["m3", "m7"]);
    for (const message of got) if (!pending.has(message.body.toString())) await consumer.ack(message);
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    for (const client of clients.splice(0))
      await withTimeout(client.shutdown(), 30_000, "client shutdown").catch(() => undefined);

    const second = await spawnBroker(dir);
    const again = await started(new SimpleConsumer({ ...options, endpoints: second.endpoints }));
    const back: MessageView[] = [];
    await waitFor(
      async () => {
        back.push(...(await again.receive(32, 30_000)));
        return back.length >= 2;
      },
      20_000,
      "the two un-acked messages",
    );
    expect(back.map((m) => m.body.toString()).sort()).toEqual(["m3", "m7"]);
    expect(back.every((m) => m.deliveryAttempt === 2)).toBe(true);
    for (const message of back) await again.ack(message);
    expect(await again.receive(32, 30_000)).toEqual([]);
  });
});
