import { describe, expect, it } from "vitest";
import { SendFlowControl } from "../src/index.js";

describe("SendFlowControl", () => {
  const control = (capacity = 10) =>
    new SendFlowControl({
      waitTimeMillsInSendQueue: 200,
      osPageCacheBusyTimeOutMills: 1000,
      capacity,
    });

  it("admits sends while the oldest put in flight is younger than waitTimeMillsInSendQueue", () => {
    const flow = control();
    flow.begin(1000);
    expect(flow.refusal(1150)).toBeNull();
  });

  it("refuses with [TIMEOUT_CLEAN_QUEUE] once a put waited longer, naming the period and queue size", () => {
    const flow = control();
    flow.begin(1000);
    flow.begin(1100);
    expect(flow.refusal(1250)).toBe(
      "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: 250ms, size of queue: 2",
    );
  });

  it("refuses with [PC_SYNCHRONIZED] when a put is stalled past osPageCacheBusyTimeOutMills", () => {
    const flow = control();
    flow.begin(0);
    expect(flow.refusal(1500)).toMatch(/^\[PC_SYNCHRONIZED\]broker busy/);
  });

  it("looks at the oldest put still in flight and refuses beyond capacity", () => {
    const flow = control(2);
    const first = flow.begin(0);
    flow.begin(900);
    flow.end(first);
    expect(flow.inFlight).toBe(1);
    expect(flow.refusal(1000)).toBeNull();
    flow.begin(1000);
    expect(flow.refusal(1000)).toMatch(/^\[OVERLOAD\]/);
  });
});
