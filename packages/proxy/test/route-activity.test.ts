import { describe, expect, it } from "vitest";
import type { ProxyBroker } from "../src/index.js";
import { endpointsOf, RouteActivity } from "../src/route-activity.js";

function brokerWith(queues: { readQueueNums: number; writeQueueNums: number } | null): ProxyBroker {
  return {
    brokerName: "b1",
    getTopicQueues: () => Promise.resolve(queues),
  } as unknown as ProxyBroker;
}

const fallback = (): ReturnType<typeof endpointsOf> => endpointsOf("10.0.0.9", 8081);

describe("RouteActivity", () => {
  it("numbers read-write queues first, so queue 0 serves producers and consumers", async () => {
    const route = await new RouteActivity(
      brokerWith({ readQueueNums: 4, writeQueueNums: 2 }),
      fallback,
    ).queryRoute({
      topic: { name: "T" },
    });
    expect(route.message_queues.map((q) => [q.id, q.permission])).toEqual([
      [0, "READ_WRITE"],
      [1, "READ_WRITE"],
      [2, "READ"],
      [3, "READ"],
    ]);
    expect(route.message_queues[0]!.broker).toEqual({ name: "b1", id: 0, endpoints: fallback() });
  });

  it("answers FORBIDDEN for a topic with no queue instead of an empty route (which hangs clients)", async () => {
    const route = await new RouteActivity(
      brokerWith({ readQueueNums: 0, writeQueueNums: 0 }),
      fallback,
    ).queryRoute({
      topic: { name: "T" },
    });
    expect(route.status.code).toBe("FORBIDDEN");
  });

  it("refuses an assignment for a topic without readable queues", async () => {
    const activity = new RouteActivity(
      brokerWith({ readQueueNums: 0, writeQueueNums: 2 }),
      fallback,
    );
    expect(
      (await activity.queryAssignment({ topic: { name: "T" }, group: { name: "G" } })).status.code,
    ).toBe("FORBIDDEN");
  });

  it("names the address scheme the way the client does", () => {
    expect(endpointsOf("127.0.0.1", 1).scheme).toBe("IPv4");
    expect(endpointsOf("::1", 1).scheme).toBe("IPv6");
    expect(endpointsOf("broker.local", 1).scheme).toBe("DOMAIN_NAME");
  });
});
