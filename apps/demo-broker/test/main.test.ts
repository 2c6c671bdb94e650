import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  bodyLengthPosition,
  MESSAGE_MAGIC_CODE,
  recordMagicCode,
  recordTotalSize,
  SYSFLAG_POSITION,
} from "@store/message-codec";
import { nodeFileIO } from "@store/mapped-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatusReport } from "../src/demo-broker-app.js";
import { RequestCode, ResponseCode } from "@store/broker";
import { Producer, SimpleConsumer } from "rocketmq-client-nodejs";
import { benchBody, runLoad } from "../src/load-generator.js";
import type { LoadOutcome } from "../src/load-generator.js";
import { WireClient } from "../src/wire-client.js";
import { main } from "../src/main.js";
import { BrokerProcess, runToExit } from "./broker-process.js";
import { freePort, RANDOM_PORTS, tempDir, waitFor } from "./helpers.js";

const SMALL = ["--mappedFileSizeCommitLog=4194304", ...RANDOM_PORTS];

describe("main (the demo-broker bin)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const running: BrokerProcess[] = [];
  beforeEach(async () => ({ dir, cleanup } = await tempDir("demo-broker-bin-")));
  afterEach(async () => {
    for (const broker of running.splice(0)) await broker.kill();
    await cleanup();
  });

  function start(...args: string[]): BrokerProcess {
    const broker = new BrokerProcess([...SMALL, ...args], dir);
    running.push(broker);
    return broker;
  }

  /** Sends over the wire to the child's remoting port. */
  function load(
    listenPort: number | null,
    messages: number,
    signal?: AbortSignal,
  ): Promise<LoadOutcome> {
    return runLoad({
      brokerAddr: `127.0.0.1:${listenPort}`,
      topic: "MainTopic",
      queues: 4,
      messages,
      size: 200,
      producers: 16,
      runId: "m",
      signal,
    });
  }

  it(
    "--help prints every key with its default and exits 0; a bad value exits 2 naming it",
    { tags: ["slow"] },
    async () => {
      const help = await runToExit(["--help"], dir);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(
        /^ {2}flushDiskType +ASYNC_FLUSH +SYNC_FLUSH answers a send after fdatasync/m,
      );
      const bad = await runToExit(["--flushDiskType=SOMETIMES"], dir);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(
        "demo-broker: command line: flushDiskType=SOMETIMES is invalid; expected SYNC_FLUSH or ASYNC_FLUSH",
      );
      const typo = await runToExit(["--namesrvPrt=1"], dir);
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain("did you mean namesrvPort?");
    },
  );

  it(
    "starts on its defaults with the store in ./data, warns about RocketMQ keys it ignores",
    { tags: ["slow"] },
    async () => {
      const broker = start("--brokerRole=ASYNC_MASTER");
      const ready = await broker.ready();
      expect(ready.storePath).toBe(join(dir, "data"));
      expect(ready.strategy).toBe("ASYNC_FLUSH");
      expect(ready.promise).toMatch(/^acknowledged when the bytes are in the OS page cache/);
      expect(broker.messages()).toContain(
        "command line: brokerRole is a RocketMQ broker key this broker ignores",
      );
      expect((await fetch(`http://127.0.0.1:${ready.ports.http}/healthz`)).status).toBe(200);
    },
  );

  it(
    "a second instance on the same store exits 3 with a clear message; the first keeps serving",
    { tags: ["slow"] },
    async () => {
      const first = start();
      const ready = await first.ready();
      const second = await runToExit([...SMALL, "--storePathRootDir=data"], dir);
      expect(second.code).toBe(3);
      expect(second.stderr).toContain(
        `demo-broker: cannot start: store is in use by process ${first.child.pid}`,
      );
      expect(second.stderr).toContain(
        "Stop the other broker or choose another --storePathRootDir.",
      );
      expect((await fetch(`http://127.0.0.1:${ready.ports.http}/healthz`)).status).toBe(200);
    },
  );

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(
      `${signal} during load: stops accepting, flushes, removes abort and exits 0 within 10 s`,
      { tags: ["slow"] },
      async () => {
        const broker = start("--flushDiskType=ASYNC_FLUSH", "--flushIntervalCommitLog=5000");
        const { ports } = await broker.ready();
        const stop = new AbortController();
        const sending = load(ports.listen, 5_000_000, stop.signal);
        await waitFor(
          async () => (await status(ports.http)).traffic.messagesIn > 1000,
          20_000,
          "load under way",
        );
        const at = Date.now();
        broker.child.kill(signal);
        const { code } = await broker.exited;
        const exitMs = Date.now() - at;
        stop.abort();
        const outcome = await sending;
        expect(outcome.acked.length).toBeGreaterThan(1000);
        expect(code).toBe(0);
        expect(exitMs).toBeLessThan(10_000);
        expect(broker.messages()).toContain(
          "stopped cleanly: everything flushed, abort file removed",
        );
        expect(await nodeFileIO.stat(join(dir, "data", "abort"))).toBeNull();
        expect(await nodeFileIO.stat(join(dir, "data", "lock"))).toBeNull();
        const again = start();
        expect((await again.ready()).recovery).toBe("normal");
      },
    );
  }

  it(
    "after kill -9 and a corrupted last record, the next start logs abnormal recovery and what it cut",
    { tags: ["slow"] },
    async () => {
      const broker = start("--flushDiskType=SYNC_FLUSH");
      const { ports } = await broker.ready();
      const sent = await load(ports.listen, 2000);
      // under a loaded machine the broker may refuse a few sends as busy (flow control): not an error here
      expect(sent.failed.filter((failure) => !failure.reason.startsWith("code 2:"))).toEqual([]);
      expect(sent.acked.length).toBeGreaterThan(1000);
      const wrote = (await status(ports.http)).positions.wrote;
      broker.child.kill("SIGKILL");
      await broker.exited;
      const last = await corruptLastRecord(
        join(dir, "data", "commitlog", "00000000000000000000"),
        wrote,
      );
      const restarted = start("--flushDiskType=SYNC_FLUSH");
      const ready = await restarted.ready();
      expect(ready.recovery).toBe("abnormal");
      const line = restarted.messages().find((m) => m.startsWith("abnormal recovery ran"));
      expect(line).toContain(`cut ${last.size} bytes in 1 records (stopped at CRC_MISMATCH)`);
      expect(line).toContain(`the log ends at offset ${last.offset}`);
      expect((await status(ready.ports.http)).positions.wrote).toBe(last.offset);
    },
  );
});

describe("main (in process)", () => {
  it("refuses aclEnable=true while the gRPC proxy would serve without ACL, naming the way out", async () => {
    const out: string[] = [];
    const io = {
      stdout: (text: string) => out.push(text),
      stderr: (text: string) => out.push(text),
      pretty: false,
    };
    expect(await main(["--aclEnable=true"], io)).toBe(2);
    expect(out.join("")).toContain("add --enableGrpc=false to run with ACL");
  });
});

async function status(port: number): Promise<StatusReport> {
  return (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()) as StatusReport;
}

describe("main: RocketMQ 5 clients on grpcPort", () => {
  it(
    "a rocketmq-client-nodejs Producer and SimpleConsumer work through the bin; enableGrpc=false closes the port",
    { tags: ["slow"] },
    async () => {
      const { dir, cleanup } = await tempDir("demo-broker-grpc-");
      const grpcPort = await freePort();
      const logger = { info(): void {}, warn(): void {}, error(): void {}, debug(): void {} };
      const broker = new BrokerProcess([...SMALL, `--grpcPort=${grpcPort}`], dir);
      const clients: { shutdown(): Promise<void> }[] = [];
      try {
        const { ports } = await broker.ready();
        expect(ports).toMatchObject({ grpc: grpcPort });
        const endpoints = `127.0.0.1:${grpcPort}`;
        const producer = new Producer({ endpoints, namespace: "", logger });
        clients.push(producer);
        await producer.startup();
        await producer.send({
          topic: "GrpcTopic",
          tag: "TagA",
          keys: ["k1"],
          body: Buffer.from("hello over gRPC"),
        });
        const consumer = new SimpleConsumer({
          endpoints,
          namespace: "",
          logger,
          consumerGroup: "GID_GRPC",
          subscriptions: new Map([["GrpcTopic", "*"]]),
          awaitDuration: 3000,
        });
        clients.push(consumer);
        await consumer.startup();
        const received = await consumer.receive(8, 30_000);
        expect(received.map((m) => [m.tag, m.keys, m.body.toString()])).toEqual([
          ["TagA", ["k1"], "hello over gRPC"],
        ]);
        await consumer.ack(received[0]!);
        const report = await status(ports.http);
        expect(report.consumerGroups).toContainEqual({
          group: "GID_GRPC",
          topic: "GrpcTopic",
          lag: 0,
        });
        expect(report.traffic.messagesOut).toBe(1);
      } finally {
        for (const client of clients.reverse()) await client.shutdown().catch(() => undefined);
        // a graceful stop ends the clients' telemetry streams with OK (a reset one errors in the client)
        broker.child.kill("SIGTERM");
        expect((await broker.exited).code).toBe(0);
      }
      const off = new BrokerProcess([...SMALL, "--enableGrpc=false"], dir);
      try {
        expect((await off.ready()).ports).toMatchObject({ grpc: null });
      } finally {
        await off.kill();
        await cleanup();
      }
    },
  );
});

describe("main: the first SEND after a fresh start", () => {
  // RocketMQ's default 1 GiB segment: zero-filling it on the first put would take seconds under SYNC_FLUSH.
  // The pool's buffers are segment-sized and allocated at start: two of 256 MiB keep the test's memory small.
  const GiB = "--mappedFileSizeCommitLog=1073741824";
  const pool = [
    "--mappedFileSizeCommitLog=268435456",
    "--transientStorePoolEnable=true",
    "--transientStorePoolSize=2",
  ];
  const STARTS = 3;

  /** Starts the bin on a fresh store and times one SEND_MESSAGE_V2 (1 KiB) sent the moment it is ready, ms. */
  async function firstSend(strategy: readonly string[]): Promise<number> {
    const { dir, cleanup } = await tempDir("demo-broker-first-");
    const listenPort = await freePort();
    const broker = new BrokerProcess(
      [
        `--listenPort=${listenPort}`,
        "--namesrvPort=0",
        "--grpcPort=0",
        "--httpPort=0",
        ...strategy,
      ],
      dir,
    );
    try {
      await broker.ready(120_000);
      const client = await WireClient.connect(`127.0.0.1:${listenPort}`);
      const header = {
        a: "PID_FIRST",
        b: "FirstTopic",
        c: "TBW102",
        d: "4",
        e: "0",
        f: "0",
        g: String(Date.now()),
        h: "0",
        i: "",
        j: "0",
        k: "false",
      };
      const at = performance.now();
      const response = await client.invoke(
        RequestCode.SEND_MESSAGE_V2,
        header,
        benchBody("first", 0, 1024),
      );
      const elapsedMs = performance.now() - at;
      await client.close();
      expect(response.code).toBe(ResponseCode.SUCCESS);
      return elapsedMs;
    } finally {
      await broker.kill();
      await cleanup();
    }
  }

  for (const strategy of [
    ["--flushDiskType=SYNC_FLUSH", GiB],
    ["--flushDiskType=ASYNC_FLUSH", GiB],
    ["--flushDiskType=ASYNC_FLUSH", ...pool],
  ]) {
    // the median of three fresh starts: one scheduling stall of a shared machine does not decide it
    it(
      `is answered within 100 ms under ${strategy.slice(0, 2).join(" ")} (median of ${STARTS} fresh starts)`,
      { tags: ["slow"] },
      async () => {
        const times: number[] = [];
        for (let start = 0; start < STARTS; start++) times.push(await firstSend(strategy));
        times.sort((x, y) => x - y);
        console.log(
          `first SEND under ${strategy.join(" ")}: ${times.map((t) => t.toFixed(1)).join(", ")} ms`,
        );
        expect(times[Math.floor(STARTS / 2)]).toBeLessThan(100);
      },
    );
  }
});

/** Flips a body byte of the last record below `end` (its CRC no longer matches); returns where it was. */
async function corruptLastRecord(
  path: string,
  end: number,
): Promise<{ offset: number; size: number }> {
  const data = await readFile(path);
  let offset = 0;
  let last = { offset: -1, size: 0 };
  while (offset < end) {
    const size = recordTotalSize(data, offset);
    expect(recordMagicCode(data, offset)).toBe(MESSAGE_MAGIC_CODE);
    last = { offset, size };
    offset += size;
  }
  expect(offset).toBe(end);
  const sysFlag = data.readInt32BE(last.offset + SYSFLAG_POSITION);
  const bodyAt = last.offset + bodyLengthPosition(sysFlag) + 4;
  const file = await open(path, "r+");
  try {
    await file.write(Buffer.from([data[bodyAt]! ^ 0xff]), 0, 1, bodyAt);
  } finally {
    await file.close();
  }
  return last;
}
