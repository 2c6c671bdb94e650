import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { Producer, SimpleConsumer } from "rocketmq-client-nodejs";
import type { MessageView } from "rocketmq-client-nodejs";
import { clientLogger, waitFor, withTimeout } from "./proxy-test-kit.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/proxy-process.mjs", import.meta.url));
const clients: { shutdown(): Promise<void> }[] = [];
const brokers: BrokerProcess[] = [];
const dirs: string[] = [];

/** The broker process of test/fixtures/proxy-process.mjs, talked to over its stdin and stdout. */
class BrokerProcess {
  readonly child: ChildProcess;
  readonly #lines: string[] = [];
  readonly #exited: Promise<void>;

  constructor(dir: string) {
    this.child = spawn(process.execPath, [FIXTURE, dir], { stdio: ["pipe", "pipe", "inherit"] });
    createInterface({ input: this.child.stdout! }).on("line", (line) => this.#lines.push(line));
    this.#exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
  }

  /** The next stdout line that is JSON with `key`. */
  async #next(key: string, what: string): Promise<number> {
    let found: number | undefined;
    await waitFor(
      () => {
        const index = this.#lines.findIndex((line) => line.includes(`"${key}"`));
        if (index >= 0)
          found = (JSON.parse(this.#lines.splice(index, 1)[0]!) as Record<string, number>)[key];
        if (!this.running)
          throw new Error(`broker process ended (${this.child.exitCode ?? this.child.signalCode})`);
        return found !== undefined;
      },
      20_000,
      what,
    );
    return found!;
  }

  async endpoints(): Promise<string> {
    return `127.0.0.1:${await this.#next("port", "broker process start")}`;
  }

  /**
   * Waits until the broker has ended every telemetry stream (the clients' half-closes were answered):
   * a connection cut before that makes the shut-down client throw an unhandled stream error (pitfall 7).
   */
  async waitTelemetryClosed(): Promise<void> {
    await waitFor(
      async () => {
        this.child.stdin!.write("streams\n");
        return (await this.#next("streams", "stream count")) === 0;
      },
      10_000,
      "telemetry streams ended",
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.#exited;
  }
}

afterEach(async () => {
  for (const client of clients.splice(0))
    await withTimeout(client.shutdown(), 30_000, "client shutdown");
  for (const broker of brokers.splice(0)) {
    await broker.waitTelemetryClosed().catch(() => undefined);
    await withTimeout(broker.kill("SIGTERM"), 10_000, "graceful stop").catch(() =>
      broker.kill("SIGKILL"),
    );
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function spawnBroker(dir: string): Promise<{ broker: BrokerProcess; endpoints: string }> {
  const broker = new BrokerProcess(dir);
  brokers.push(broker);
  return { broker, endpoints: await broker.endpoints() };
}

async function started<T extends { startup(): Promise<void>; shutdown(): Promise<void> }>(
  client: T,
): Promise<T> {
  clients.push(client);
  await withTimeout(client.startup(), 15_000, "client startup");
  return client;
}

describe("GrpcProxy in a broker process killed with SIGKILL", () => {
  it(
    "redelivers only the un-acked messages after the restart, nothing acked",
    { tags: ["slow"] },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "proxy-kill-"));
      dirs.push(dir);
      const first = await spawnBroker(dir);
      const producer = await started(
        new Producer({
          endpoints: first.endpoints,
          namespace: "",
          logger: clientLogger,
          topics: ["Crash"],
        }),
      );
      for (let i = 0; i < 10; i++)
        await producer.send({ topic: "Crash", body: Buffer.from(`m${i}`) });
      const options = {
        namespace: "",
        logger: clientLogger,
        consumerGroup: "GID_crash",
        subscriptions: new Map([["Crash", "*"]]),
        awaitDuration: 2000,
      };
      const consumer = await started(
        new SimpleConsumer({ ...options, endpoints: first.endpoints }),
      );
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
      for (const message of got)
        if (!pending.has(message.body.toString())) await consumer.ack(message);
      for (const client of clients.splice(0))
        await withTimeout(client.shutdown(), 30_000, "client shutdown");
      await first.broker.waitTelemetryClosed();
      await first.broker.kill("SIGKILL");

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
    },
  );
});
