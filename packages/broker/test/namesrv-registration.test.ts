import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  NamesrvController,
  RemotingCommand,
  RemotingServer,
  RequestCode,
  ResponseCode,
} from "../src/index.js";
import type { RequestProcessor } from "../src/index.js";
import { broker, brokerNames, namesrv, running } from "./cluster-fixture.js";
import { silentLogger, waitFor } from "./helpers.js";

/** A server that records the requests it gets and answers SUCCESS, standing in for a Java name server. */
async function recordingNamesrv(): Promise<{ port: number; requests: RemotingCommand[] }> {
  const requests: RemotingCommand[] = [];
  const processor: RequestProcessor = {
    processRequest: (request) => {
      requests.push(request);
      return RemotingCommand.response(request, ResponseCode.SUCCESS, null, {
        haServerAddr: "",
        masterAddr: "",
      });
    },
  };
  const server = new RemotingServer({
    port: 0,
    host: "127.0.0.1",
    processors: new Map([
      [RequestCode.REGISTER_BROKER, processor],
      [RequestCode.UNREGISTER_BROKER, processor],
    ]),
  });
  const port = await server.start();
  running.push({ shutdown: () => server.shutdown(0) });
  return { port, requests };
}

describe("NamesrvRegistration", () => {
  it("registers with every name server of namesrvAddr at start, again after a topic is created, and unregisters at shutdown", async () => {
    const [first, second] = [await namesrv(), await namesrv()] as [
      NamesrvController,
      NamesrvController,
    ];
    const namesrvAddr = `127.0.0.1:${first.listenPort};127.0.0.1:${second.listenPort}`;
    const a = await broker({ namesrvAddr, brokerName: "broker-a" });
    await waitFor(
      () => brokerNames(first).length === 1 && brokerNames(second).length === 1,
      5000,
      "the broker on both name servers",
    );
    expect(
      first.routeInfoManager.getClusterInfo().brokerAddrTable["broker-a"]?.brokerAddrs,
    ).toEqual({
      0: a.brokerAddr,
    });
    a.topicConfigManager.createTopicInSendMessageMethod("Orders");
    await waitFor(
      () => first.routeInfoManager.pickupTopicRouteData("Orders")?.queueDatas.length === 1,
      5000,
      "the new topic's route",
    );
    await waitFor(
      () => second.routeInfoManager.pickupTopicRouteData("Orders")?.queueDatas.length === 1,
      5000,
      "the new topic's route on the second",
    );
    await a.shutdown();
    expect([brokerNames(first), brokerNames(second)]).toEqual([[], []]);
  });

  it("sends the header and body a Java broker sends, and coalesces a burst of topic changes", async () => {
    const recorder = await recordingNamesrv();
    const a = await broker({
      namesrvAddr: `127.0.0.1:${recorder.port}`,
      brokerName: "broker-a",
      brokerClusterName: "C1",
      brokerId: 0,
    });
    await waitFor(() => recorder.requests.length === 1, 5000, "the first registration");
    const [register] = recorder.requests as [RemotingCommand];
    const body = register.body ?? Buffer.alloc(0);
    expect(register.extFields).toEqual({
      brokerName: "broker-a",
      brokerAddr: a.brokerAddr,
      clusterName: "C1",
      haServerAddr: "",
      brokerId: "0",
      enableActingMaster: "false",
      compressed: "false",
      bodyCrc32: String(crc32(body) & 0x7fffffff),
    });
    const json = JSON.parse(body.toString()) as {
      topicConfigSerializeWrapper: {
        topicConfigTable: Record<string, unknown>;
        dataVersion: Record<string, number>;
      };
    };
    expect(json.topicConfigSerializeWrapper.topicConfigTable.TBW102).toMatchObject({
      topicName: "TBW102",
      readQueueNums: 4,
      writeQueueNums: 4,
      perm: 7,
      topicFilterType: "SINGLE_TAG",
    });
    expect(Object.keys(json.topicConfigSerializeWrapper.dataVersion).sort()).toEqual([
      "counter",
      "stateVersion",
      "timestamp",
    ]);
    for (let index = 0; index < 50; index++)
      a.topicConfigManager.createTopicInSendMessageMethod(`Burst${index}`);
    await waitFor(
      () => {
        const last = recorder.requests.at(-1)?.body?.toString() ?? "";
        return last.includes('"Burst49"');
      },
      5000,
      "a registration with every new topic",
    );
    expect(recorder.requests.length).toBeLessThanOrEqual(3);
    const brokerAddr = a.brokerAddr;
    await a.shutdown();
    expect(recorder.requests.at(-1)?.code).toBe(RequestCode.UNREGISTER_BROKER);
    expect(recorder.requests.at(-1)?.extFields).toEqual({
      brokerName: "broker-a",
      brokerAddr,
      clusterName: "C1",
      brokerId: "0",
    });
  });

  it("starts while its name server is down, and registers once the name server is up", async () => {
    const probe = await namesrv();
    const port = probe.listenPort;
    await probe.shutdown();
    const a = await broker({ namesrvAddr: `127.0.0.1:${port}`, brokerName: "broker-late" });
    const late = new NamesrvController(
      { namesrvPort: port, namesrvHost: "127.0.0.1" },
      { logger: silentLogger },
    );
    await late.start();
    running.push(late);
    await waitFor(
      () => brokerNames(late).includes("broker-late"),
      10_000,
      "the retried registration",
    );
    expect(a.listenPort).toBeGreaterThan(0);
  });
});
