import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AckMessageActivity } from "../src/ack-message-activity.js";
import type { ProxyEnvironment } from "./proxy-test-kit.js";
import { silentLogger, startProxy, waitFor } from "./proxy-test-kit.js";

let env: ProxyEnvironment;
let activity: AckMessageActivity;

beforeEach(async () => {
  env = await startProxy({ broker: { topics: { T: 1 } } });
  activity = new AckMessageActivity(env.broker, silentLogger);
});
afterEach(() => env.destroy());

async function popOne(): Promise<string> {
  await env.broker.sendMessage({ topic: "T", body: Buffer.from("x") });
  await waitFor(() => env.store.getMaxOffsetInQueue("T", 0) >= 1);
  const result = await env.broker.popService.pop({
    group: "G",
    topic: "T",
    maxMessages: 1,
    invisibleTimeMs: 30_000,
  });
  return result.messages[0]!.receiptHandle;
}

describe("AckMessageActivity", () => {
  it("answers each entry, and MULTIPLE_RESULTS when they differ", async () => {
    const handle = await popOne();
    const response = await activity.ackMessage({
      group: { name: "G" },
      topic: { name: "T" },
      entries: [
        { message_id: "a", receipt_handle: handle },
        { message_id: "b", receipt_handle: "stale" },
      ],
    });
    expect(response.status.code).toBe("MULTIPLE_RESULTS");
    expect(response.entries.map((entry) => entry.status.code)).toEqual([
      "OK",
      "INVALID_RECEIPT_HANDLE",
    ]);
  });

  it("answers BAD_REQUEST for an ack without entries", async () => {
    expect(
      (await activity.ackMessage({ group: { name: "G" }, topic: { name: "T" }, entries: [] }))
        .status.code,
    ).toBe("BAD_REQUEST");
  });

  it("raises a nack of 1 ms to 1 s and refuses one over 12 h", async () => {
    const handle = await popOne();
    const request = { group: { name: "G" }, topic: { name: "T" }, receipt_handle: handle };
    const nack = await activity.changeInvisibleDuration({
      ...request,
      invisible_duration: { nanos: 1_000_000 },
    });
    expect(nack.status.code).toBe("OK");
    expect(nack.receipt_handle).not.toBe(handle);
    const tooLong = await activity.changeInvisibleDuration({
      ...request,
      receipt_handle: nack.receipt_handle,
      invisible_duration: { seconds: 13 * 3600 },
    });
    expect(tooLong.status.code).toBe("ILLEGAL_INVISIBLE_TIME");
  });
});
