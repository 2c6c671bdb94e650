import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BrokerError, RemotingClient, RemotingCommand, RequestCode } from "../src/index.js";
import type { ClusterInfo } from "../src/index.js";
import { namesrvUsage, parseNamesrvArgs } from "../src/namesrv/namesrv-startup.js";
import { broker, running } from "./cluster-fixture.js";
import { waitFor } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bin/namesrv.js", import.meta.url));

describe("parseNamesrvArgs", () => {
  it("reads --key=value with numbers as numbers, and --help", () => {
    expect(
      parseNamesrvArgs([
        "--namesrvPort=9877",
        "--namesrvHost=127.0.0.1",
        "--brokerChannelExpiredTimeMs=30000",
      ]),
    ).toEqual({
      help: false,
      config: { namesrvPort: 9877, namesrvHost: "127.0.0.1", brokerChannelExpiredTimeMs: 30_000 },
    });
    expect(parseNamesrvArgs(["--namesrvPort=1", "--help"])).toEqual({ help: true });
    expect(namesrvUsage()).toMatch(/--namesrvPort=<value> \(default 9876\)/);
  });

  it("refuses an unknown key or a bare argument, naming it", () => {
    expect(() => parseNamesrvArgs(["--listenPort=1"])).toThrow(
      /unknown key listenPort: expected one of namesrvPort/,
    );
    expect(() => parseNamesrvArgs(["9876"])).toThrow(BrokerError);
  });
});

describe("store-namesrv (the bin)", () => {
  it(
    "runs a name server on its own that a broker registers with, and exits 0 on SIGTERM",
    { tags: ["slow"] },
    async () => {
      const child = spawn(process.execPath, [BIN, "--namesrvPort=0", "--namesrvHost=127.0.0.1"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      const exited = new Promise<number | null>((resolve) =>
        child.once("exit", (code) => resolve(code)),
      );
      running.push({
        shutdown: () => Promise.resolve(void (child.exitCode === null && child.kill("SIGKILL"))),
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      await waitFor(() => /"msg":"name server started"/.test(output), 10_000, "the start log line");
      const port = Number(/"port":(\d+)/.exec(output)?.[1]);
      const a = await broker({ namesrvAddr: `127.0.0.1:${port}`, brokerName: "broker-solo" });
      const client = await RemotingClient.connect({ port });
      running.push({ shutdown: () => client.close() });
      let info: ClusterInfo = { brokerAddrTable: {}, clusterAddrTable: {} };
      await waitFor(
        async () => {
          const response = await client.invoke(
            RemotingCommand.request(RequestCode.GET_BROKER_CLUSTER_INFO, 0),
          );
          info = JSON.parse(response.body?.toString() ?? "{}") as ClusterInfo;
          return info.brokerAddrTable["broker-solo"] !== undefined;
        },
        10_000,
        "the broker in the cluster info",
      );
      expect(info.brokerAddrTable["broker-solo"]?.brokerAddrs).toEqual({ 0: a.brokerAddr });
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    },
  );
});
