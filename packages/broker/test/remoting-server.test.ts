import { afterEach, describe, expect, it } from "vitest";
import { RemotingCommand, RemotingServer, ResponseCode, requiredInt } from "../src/index.js";
import type { RequestProcessor } from "../src/index.js";
import { RemotingTestClient } from "./remoting-test-client.js";

const servers: RemotingServer[] = [];
const clients: RemotingTestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.shutdown(0)));
});

async function serve(processors: Map<number, RequestProcessor>): Promise<RemotingTestClient> {
  const server = new RemotingServer({ port: 0, host: "127.0.0.1", processors });
  servers.push(server);
  const port = await server.start();
  const client = await RemotingTestClient.connect(port);
  clients.push(client);
  return client;
}

const echo: RequestProcessor = {
  processRequest: (request) => RemotingCommand.response(request, ResponseCode.SUCCESS, null, request.extFields, request.body),
};

describe("RemotingServer", () => {
  it("answers a request with its opaque echoed", async () => {
    const client = await serve(new Map([[1, echo]]));
    const response = await client.invoke(1, { a: "x" }, Buffer.from("body"));
    expect(response.code).toBe(ResponseCode.SUCCESS);
    expect(response.isResponse).toBe(true);
    expect(response.extFields).toEqual({ a: "x" });
    expect(response.body?.toString()).toBe("body");
  });

  it("answers requests out of order: a held request does not block the ones behind it", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const hold: RequestProcessor = {
      processRequest: async (request) => {
        await held;
        return RemotingCommand.response(request, ResponseCode.SUCCESS, "late");
      },
    };
    const client = await serve(new Map([[1, echo], [2, hold]]));
    const first = client.invoke(2);
    const second = await client.invoke(1, { n: "2" });
    expect(second.extFields).toEqual({ n: "2" });
    release();
    expect((await first).remark).toBe("late");
  });

  it("answers an unknown code REQUEST_CODE_NOT_SUPPORTED naming the code", async () => {
    const client = await serve(new Map());
    const response = await client.invoke(9999);
    expect(response.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(response.remark).toContain("9999");
  });

  it("answers a bad header field SYSTEM_ERROR naming the field, and a thrown error SYSTEM_ERROR", async () => {
    const strict: RequestProcessor = {
      processRequest: (request) => {
        const queueId = requiredInt(request.extFields, "queueId", { min: 0, max: 3 });
        return RemotingCommand.response(request, ResponseCode.SUCCESS, String(queueId));
      },
    };
    const broken: RequestProcessor = {
      processRequest: () => {
        throw new Error("boom");
      },
    };
    const client = await serve(new Map([[1, strict], [2, broken]]));
    const bad = await client.invoke(1, { queueId: "7" });
    expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(bad.remark).toBe("queueId: expected an integer in [0, 3], got '7'");
    expect((await client.invoke(1, { queueId: "3" })).remark).toBe("3");
    const failed = await client.invoke(2);
    expect(failed.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(failed.remark).toContain("boom");
  });

  it("closes only the connection that sent a bad frame", async () => {
    const good = await serve(new Map([[1, echo]]));
    const server = servers[0]!;
    const bad = await RemotingTestClient.connect(server.port);
    clients.push(bad);
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(64 * 1024 * 1024, 0);
    bad.writeRaw(frame);
    await bad.closed;
    expect((await good.invoke(1, { still: "served" })).extFields).toEqual({ still: "served" });
  });
});
