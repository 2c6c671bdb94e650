import { describe, expect, it } from "vitest";
import { RouteInfoManager } from "../src/index.js";
import type { RegisteredTopic } from "../src/remoting/register-broker/request.js";
import { silentLogger } from "./helpers.js";

function header(brokerName: string, brokerAddr: string, heartbeatTimeoutMillis?: number) {
  return {
    brokerName,
    brokerAddr,
    clusterName: "DefaultCluster",
    haServerAddr: "",
    brokerId: 0,
    heartbeatTimeoutMillis,
  };
}

function body(topics: Record<string, number>) {
  const map = new Map<string, RegisteredTopic>();
  for (const [name, queues] of Object.entries(topics))
    map.set(name, { readQueueNums: queues, writeQueueNums: queues, perm: 6, topicSysFlag: 0 });
  return { topics: map, dataVersion: { timestamp: 1, counter: 1 } };
}

describe("RouteInfoManager", () => {
  it("merges a topic's route over every broker that registered it", () => {
    const routes = new RouteInfoManager(silentLogger);
    routes.registerBroker(header("broker-a", "10.0.0.1:10911"), body({ Orders: 4 }), 0);
    routes.registerBroker(header("broker-b", "10.0.0.2:10911"), body({ Orders: 2, Other: 1 }), 0);
    const route = routes.pickupTopicRouteData("Orders");
    expect(route?.queueDatas.map((queue) => [queue.brokerName, queue.writeQueueNums])).toEqual([
      ["broker-a", 4],
      ["broker-b", 2],
    ]);
    expect(route?.brokerDatas.map((broker) => broker.brokerAddrs["0"])).toEqual([
      "10.0.0.1:10911",
      "10.0.0.2:10911",
    ]);
    expect(
      routes.pickupTopicRouteData("Other")?.brokerDatas.map((broker) => broker.brokerName),
    ).toEqual(["broker-b"]);
    expect(routes.getClusterInfo().clusterAddrTable).toEqual({
      DefaultCluster: ["broker-a", "broker-b"],
    });
  });

  it("drops a broker not heard from for 120 s, and only that one", () => {
    const routes = new RouteInfoManager(silentLogger);
    routes.registerBroker(header("broker-a", "10.0.0.1:10911"), body({ Orders: 4 }), 0);
    routes.registerBroker(header("broker-b", "10.0.0.2:10911"), body({ Orders: 4 }), 0);
    routes.registerBroker(header("broker-b", "10.0.0.2:10911"), body({ Orders: 4 }), 60_000);
    expect(routes.scanNotActiveBroker(120_000)).toBe(0);
    expect(routes.scanNotActiveBroker(120_001)).toBe(1);
    expect(
      routes.pickupTopicRouteData("Orders")?.brokerDatas.map((broker) => broker.brokerName),
    ).toEqual(["broker-b"]);
    expect(routes.scanNotActiveBroker(180_001)).toBe(1);
    expect(routes.pickupTopicRouteData("Orders")).toBeNull();
    expect(routes.getClusterInfo()).toEqual({ brokerAddrTable: {}, clusterAddrTable: {} });
  });

  it("uses the registration's heartbeatTimeoutMillis, else its own configured expiry", () => {
    const routes = new RouteInfoManager(silentLogger, { brokerChannelExpiredTimeMs: 5_000 });
    routes.registerBroker(header("broker-a", "10.0.0.1:10911"), body({ Orders: 4 }), 0);
    routes.registerBroker(header("broker-b", "10.0.0.2:10911", 20_000), body({ Orders: 4 }), 0);
    expect(routes.scanNotActiveBroker(5_001)).toBe(1);
    expect(
      routes.pickupTopicRouteData("Orders")?.brokerDatas.map((broker) => broker.brokerName),
    ).toEqual(["broker-b"]);
    expect(routes.scanNotActiveBroker(20_001)).toBe(1);
  });

  it("drops the brokers registered over a connection when it closes, not those of other connections", () => {
    const routes = new RouteInfoManager(silentLogger);
    routes.registerBroker(header("broker-a", "10.0.0.1:10911"), body({ Orders: 4 }), 0, 7);
    routes.registerBroker(header("broker-b", "10.0.0.2:10911"), body({ Orders: 4 }), 0, 8);
    routes.registerBroker(header("broker-c", "10.0.0.3:10911"), body({ Orders: 4 }), 0);
    expect(routes.onChannelDestroy(7)).toBe(1);
    expect(
      routes.pickupTopicRouteData("Orders")?.brokerDatas.map((broker) => broker.brokerName),
    ).toEqual(["broker-b", "broker-c"]);
    // broker-b reconnected and registered over connection 9: the old connection's close no longer counts
    routes.registerBroker(header("broker-b", "10.0.0.2:10911"), body({ Orders: 4 }), 1, 9);
    expect(routes.onChannelDestroy(8)).toBe(0);
    expect(routes.getClusterInfo().clusterAddrTable).toEqual({
      DefaultCluster: ["broker-b", "broker-c"],
    });
  });

  it("routes a topic nobody registered to the brokers that advertise TBW102, a %RETRY% topic with one queue", () => {
    const routes = new RouteInfoManager(silentLogger);
    routes.registerBroker(header("broker-a", "10.0.0.1:10911"), body({ TBW102: 8 }), 0);
    expect(routes.pickupTopicRouteData("NewTopic")?.queueDatas[0]?.writeQueueNums).toBe(8);
    expect(routes.pickupTopicRouteData("%RETRY%GID")?.queueDatas[0]?.writeQueueNums).toBe(1);
    routes.unregisterBroker("10.0.0.1:10911", "broker-a", 0);
    expect(routes.pickupTopicRouteData("NewTopic")).toBeNull();
  });
});
