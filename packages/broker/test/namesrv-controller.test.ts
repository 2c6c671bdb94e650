import { describe, expect, it } from "vitest";
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from "../src/index.js";
import { encodeRegisterBrokerRequest } from "../src/remoting/register-broker/request.js";
import { broker, brokerNames, namesrv, running } from "./cluster-fixture.js";
import { waitFor } from "./helpers.js";

describe("NamesrvController", () => {
  it("drops a broker when the connection it registered over closes (a crash), and keeps the others", async () => {
    const server = await namesrv();
    await broker({ namesrvAddr: `127.0.0.1:${server.listenPort}`, brokerName: "broker-a" });
    await waitFor(() => brokerNames(server).length === 1, 5000, "broker-a registered");
    const client = await RemotingClient.connect({ port: server.listenPort });
    const crashing = encodeRegisterBrokerRequest(
      {
        brokerName: "broker-crash",
        brokerAddr: "127.0.0.1:1",
        clusterName: "DefaultCluster",
        haServerAddr: "",
        brokerId: 0,
      },
      [],
      { timestamp: 1, counter: 1 },
    );
    expect((await client.invoke(crashing)).code).toBe(ResponseCode.SUCCESS);
    expect(brokerNames(server)).toEqual(["broker-a", "broker-crash"]);
    await client.close();
    await waitFor(
      () => !brokerNames(server).includes("broker-crash"),
      5000,
      "the closed connection's broker gone",
    );
    expect(brokerNames(server)).toEqual(["broker-a"]);
  });

  it("drops a broker that stops registering while its connection stays open, after brokerChannelExpiredTimeMs", async () => {
    const server = await namesrv({
      brokerChannelExpiredTimeMs: 1000,
      scanNotActiveBrokerInterval: 100,
    });
    const client = await RemotingClient.connect({ port: server.listenPort });
    running.push({ shutdown: () => client.close() });
    const hung = encodeRegisterBrokerRequest(
      {
        brokerName: "broker-hung",
        brokerAddr: "127.0.0.1:2",
        clusterName: "DefaultCluster",
        haServerAddr: "",
        brokerId: 0,
      },
      [],
      { timestamp: 1, counter: 1 },
    );
    const started = Date.now();
    expect((await client.invoke(hung)).code).toBe(ResponseCode.SUCCESS);
    await waitFor(() => brokerNames(server).length === 0, 5000, "the silent broker expired");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(client.isOpen).toBe(true);
  });

  it("answers SYSTEM_ERROR naming the field for a registration whose crc does not match", async () => {
    const server = await namesrv();
    const client = await RemotingClient.connect({ port: server.listenPort });
    running.push({ shutdown: () => client.close() });
    const bad = RemotingCommand.request(
      RequestCode.REGISTER_BROKER,
      0,
      {
        brokerName: "b",
        brokerAddr: "127.0.0.1:3",
        clusterName: "C",
        haServerAddr: "",
        brokerId: "0",
        bodyCrc32: "1",
      },
      Buffer.from("{}"),
    );
    const response = await client.invoke(bad);
    expect(response.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(response.remark).toMatch(/bodyCrc32: crc32 not match/);
    expect(brokerNames(server)).toEqual([]);
  });
});
