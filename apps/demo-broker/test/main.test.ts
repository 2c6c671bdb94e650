import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { bodyLengthPosition, MESSAGE_MAGIC_CODE, SYSFLAG_POSITION } from "@store/commitlog";
import { nodeFileIO } from "@store/mapped-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatusReport } from "../src/demo-broker-app.js";
import { BrokerProcess, runToExit } from "./broker-process.js";
import { tempDir, waitFor } from "./helpers.js";

const SMALL = ["--mappedFileSizeCommitLog=4194304", "--httpPort=0"];

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

  async function status(port: number): Promise<StatusReport> {
    return (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()) as StatusReport;
  }

  async function writeLoad(port: number, messages: number): Promise<void> {
    const response = await fetch(`http://127.0.0.1:${port}/api/load?messages=${messages}&size=200`, { method: "POST" });
    expect(response.status).toBe(202);
    await waitFor(async () => (await status(port)).load.stored === messages, 30_000, `${messages} messages stored`);
  }

  it("--help prints every key with its default and exits 0; a bad value exits 2 naming it", { tags: ["slow"] }, async () => {
    const help = await runToExit(["--help"], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}flushDiskType +ASYNC_FLUSH +SYNC_FLUSH: acknowledge after fdatasync/m);
    const bad = await runToExit(["--flushDiskType=SOMETIMES"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("demo-broker: command line: flushDiskType=SOMETIMES is invalid; expected SYNC_FLUSH or ASYNC_FLUSH");
    const typo = await runToExit(["--namesrvPrt=1"], dir);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("did you mean namesrvPort?");
  });

  it("starts on its defaults with the store in ./data, warns about RocketMQ keys it ignores", { tags: ["slow"] }, async () => {
    const broker = start("--brokerRole=ASYNC_MASTER");
    const ready = await broker.ready();
    expect(ready.storePath).toBe(join(dir, "data"));
    expect(ready.strategy).toBe("ASYNC_FLUSH");
    expect(ready.promise).toMatch(/^acknowledged when the bytes are in the OS page cache/);
    expect(broker.messages()).toContain("command line: brokerRole is a RocketMQ broker key this broker ignores");
    expect((await fetch(`http://127.0.0.1:${ready.ports.http}/healthz`)).status).toBe(200);
  });

  it("a second instance on the same store exits 3 with a clear message; the first keeps serving", { tags: ["slow"] }, async () => {
    const first = start();
    const ready = await first.ready();
    const second = await runToExit([...SMALL, "--storePathRootDir=data"], dir);
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(`demo-broker: cannot start: store is in use by process ${first.child.pid}`);
    expect(second.stderr).toContain("Stop the other broker or choose another --storePathRootDir.");
    expect((await fetch(`http://127.0.0.1:${ready.ports.http}/healthz`)).status).toBe(200);
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} during load: stops accepting, flushes, removes abort and exits 0 within 10 s`, { tags: ["slow"] }, async () => {
      const broker = start("--flushDiskType=ASYNC_FLUSH", "--flushIntervalCommitLog=5000");
      const { ports } = await broker.ready();
      await fetch(`http://127.0.0.1:${ports.http}/api/load?messages=5000000&size=200`, { method: "POST" });
      await waitFor(async () => (await status(ports.http)).load.stored > 1000, 20_000, "load under way");
      const at = Date.now();
      broker.child.kill(signal);
      const { code } = await broker.exited;
      expect(code).toBe(0);
      expect(Date.now() - at).toBeLessThan(10_000);
      expect(broker.messages()).toContain("stopped cleanly: everything flushed, abort file removed");
      expect(await nodeFileIO.stat(join(dir, "data", "abort"))).toBeNull();
      expect(await nodeFileIO.stat(join(dir, "data", "lock"))).toBeNull();
      const again = start();
      expect((await again.ready()).recovery).toBe("normal");
    });
  }

  it("after kill -9 and a corrupted last record, the next start logs abnormal recovery and what it cut", { tags: ["slow"] }, async () => {
    const broker = start("--flushDiskType=SYNC_FLUSH");
    const { ports } = await broker.ready();
    await writeLoad(ports.http, 2000);
    const wrote = (await status(ports.http)).positions.wrote;
    broker.child.kill("SIGKILL");
    await broker.exited;
    const last = await corruptLastRecord(join(dir, "data", "commitlog", "00000000000000000000"), wrote);
    const restarted = start("--flushDiskType=SYNC_FLUSH");
    const ready = await restarted.ready();
    expect(ready.recovery).toBe("abnormal");
    const line = restarted.messages().find((m) => m.startsWith("abnormal recovery ran"));
    expect(line).toContain(`cut ${last.size} bytes in 1 records (stopped at CRC_MISMATCH)`);
    expect(line).toContain(`the log ends at offset ${last.offset}`);
    expect((await status(ready.ports.http)).positions.wrote).toBe(last.offset);
  });
});

/** Flips a body byte of the last record below `end` (its CRC no longer matches); returns where it was. */
async function corruptLastRecord(path: string, end: number): Promise<{ offset: number; size: number }> {
  const data = await readFile(path);
  let offset = 0;
  let last = { offset: -1, size: 0 };
  while (offset < end) {
    const size = data.readInt32BE(offset);
    expect(data.readUInt32BE(offset + 4)).toBe(MESSAGE_MAGIC_CODE);
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
