import { describe, expect, it } from "vitest";
import { ClientSettingsManager } from "../src/client-settings-manager.js";

const config = {
  maxBodySize: 4 * 1024 * 1024,
  longPollingTimeoutMs: 20_000,
  receiveBatchSize: 32,
  maxReconsumeTimes: () => 16,
  maxClients: 2,
};

describe("ClientSettingsManager", () => {
  it("completes a producer's settings with back-off, max body size and type validation", () => {
    const reply = new ClientSettingsManager(config).reply({
      client_type: "PRODUCER",
      publishing: { topics: [{ name: "T" }] },
      user_agent: { language: "NODE_JS" },
    });
    expect(reply.backoff_policy).toEqual({
      max_attempts: 3,
      exponential_backoff: {
        initial: { seconds: 0, nanos: 10_000_000 },
        max: { seconds: 1, nanos: 0 },
        multiplier: 2,
      },
    });
    expect(reply.publishing).toEqual({
      topics: [{ name: "T" }],
      max_body_size: 4 * 1024 * 1024,
      validate_message_type: true,
    });
    expect(reply.user_agent).toEqual({ language: "NODE_JS" });
    expect(reply.subscription).toBeUndefined();
  });

  it("completes a consumer's settings with batch size, long poll, fifo and an exponential back-off", () => {
    const reply = new ClientSettingsManager(config).reply({
      client_type: "SIMPLE_CONSUMER",
      subscription: { group: { name: "G" } },
    });
    expect(reply.subscription).toMatchObject({
      group: { name: "G" },
      receive_batch_size: 32,
      long_polling_timeout: { seconds: 20, nanos: 0 },
      fifo: false,
    });
    expect(reply.backoff_policy?.max_attempts).toBe(17);
    expect(reply.backoff_policy?.exponential_backoff).toBeDefined();
    expect(reply.publishing).toBeUndefined();
  });

  it("keeps at most maxClients clients, forgetting terminated ones", () => {
    const manager = new ClientSettingsManager(config);
    expect(manager.update("a", {})).toBe(true);
    expect(manager.update("b", {})).toBe(true);
    expect(manager.update("c", {})).toBe(false);
    expect(manager.update("a", { client_type: "PRODUCER" })).toBe(true);
    manager.remove("a");
    expect(manager.update("c", {})).toBe(true);
    expect(manager.clientCount).toBe(2);
  });
});
