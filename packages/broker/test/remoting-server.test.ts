import { afterEach, describe, expect, it } from "vitest";
import {
  FrameDecoder,
  RemotingClient,
  RemotingCommand,
  RemotingServer,
  ResponseCode,
  SERIALIZE_TYPE_ROCKETMQ,
  requiredInt,
} from "../src/index.js";
import type { RemotingConnection, RemotingServerOptions, RequestProcessor } from "../src/index.js";
import { Prng, mutatedFrame, randomChunks, seedFrames } from "./fixtures/frame-fuzzer.js";
import { captureLogger, connectRaw, waitFor, withProcessErrors } from "./test-support.js";

const servers: RemotingServer[] = [];
const clients: RemotingClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.shutdown(0)));
});

async function startServer(
  options: Partial<RemotingServerOptions> & { processors: Map<number, RequestProcessor> },
): Promise<RemotingServer> {
  const server = new RemotingServer({ port: 0, host: "127.0.0.1", ...options });
  servers.push(server);
  await server.start();
  return server;
}

async function client(server: RemotingServer): Promise<RemotingClient> {
  const connected = await RemotingClient.connect({ port: server.port });
  clients.push(connected);
  return connected;
}

async function serve(processors: Map<number, RequestProcessor>): Promise<RemotingClient> {
  return client(await startServer({ processors }));
}

const request = (
  code: number,
  extFields: Record<string, string> = {},
  body: Buffer | null = null,
) => RemotingCommand.request(code, 0, extFields, body);

const echo: RequestProcessor = {
  processRequest: (req) =>
    RemotingCommand.response(req, ResponseCode.SUCCESS, null, req.extFields, req.body),
};

/** A processor that holds every request until the test releases it. */
function holding(): {
  processor: RequestProcessor;
  held: { request: RemotingCommand; release: () => void }[];
} {
  const held: { request: RemotingCommand; release: () => void }[] = [];
  const processor: RequestProcessor = {
    processRequest: (req) =>
      new Promise((resolve) =>
        held.push({
          request: req,
          release: () =>
            resolve(RemotingCommand.response(req, ResponseCode.SUCCESS, null, req.extFields)),
        }),
      ),
  };
  return { processor, held };
}

describe("RemotingServer", () => {
  it("answers a request with its opaque echoed", async () => {
    const connection = await serve(new Map([[1, echo]]));
    const response = await connection.invoke(request(1, { a: "x" }, Buffer.from("body")));
    expect(response.code).toBe(ResponseCode.SUCCESS);
    expect(response.isResponse).toBe(true);
    expect({ ...response.extFields }).toEqual({ a: "x" });
    expect(response.body?.toString()).toBe("body");
  });

  it("runs 200 requests of one connection at once and answers them in the order they finish", async () => {
    const { processor, held } = holding();
    const connection = await serve(new Map([[1, processor]]));
    const answered: string[] = [];
    const responses = Array.from({ length: 200 }, (_, n) =>
      connection.invoke(request(1, { n: String(n) })).then((response) => {
        answered.push(response.extFields.n!);
        return response;
      }),
    );
    await waitFor("200 requests in flight", () => held.length === 200);
    const releaseOrder = [...held].sort(() => Math.random() - 0.5);
    for (const entry of releaseOrder) entry.release();
    const all = await Promise.all(responses);
    expect(all.map((response) => response.extFields.n)).toEqual(
      Array.from({ length: 200 }, (_, n) => String(n)),
    );
    expect(answered).toEqual(releaseOrder.map((entry) => entry.request.extFields.n));
  });

  it("answers an unknown code REQUEST_CODE_NOT_SUPPORTED naming the code", async () => {
    const connection = await serve(new Map());
    const response = await connection.invoke(request(9999));
    expect(response.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(response.remark).toContain("9999");
  });

  it("answers a bad header field SYSTEM_ERROR naming the field", async () => {
    const strict: RequestProcessor = {
      processRequest: (req) =>
        RemotingCommand.response(
          req,
          ResponseCode.SUCCESS,
          String(requiredInt(req.extFields, "queueId", { min: 0, max: 3 })),
        ),
    };
    const connection = await serve(new Map([[1, strict]]));
    const bad = await connection.invoke(request(1, { queueId: "7" }));
    expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(bad.remark).toBe("queueId: expected an integer in [0, 3], got '7'");
    expect((await connection.invoke(request(1, { queueId: "3" }))).remark).toBe("3");
  });

  it("answers a request in the binary serialize type it came in", async () => {
    const connection = await serve(new Map([[1, echo]]));
    const binary = new RemotingCommand({
      code: 1,
      extFields: { topic: "T" },
      body: Buffer.from("b"),
      serializeType: SERIALIZE_TYPE_ROCKETMQ,
    });
    const response = await connection.invoke(binary);
    expect(response.serializeType).toBe(SERIALIZE_TYPE_ROCKETMQ);
    expect({ ...response.extFields }).toEqual({ topic: "T" });
    expect(response.body?.toString()).toBe("b");
  });

  it("answers SYSTEM_BUSY without processing when the processor rejects requests", async () => {
    let processed = 0;
    const busy: RequestProcessor = {
      processRequest: (req) => (processed++, RemotingCommand.response(req, 0)),
      rejectRequest: () => true,
    };
    const response = await (await serve(new Map([[1, busy]]))).invoke(request(1));
    expect(response.code).toBe(ResponseCode.SYSTEM_BUSY);
    expect(processed).toBe(0);
  });
});

describe("RemotingServer failures", () => {
  it("survives processors and hooks that throw, reject or answer garbage, and listeners that throw", async () => {
    const { logger, lines } = captureLogger();
    const { errors } = await withProcessErrors(async () => {
      const processors = new Map<number, RequestProcessor>([
        [1, echo],
        [
          2,
          {
            processRequest: () => {
              throw new Error("sync boom");
            },
          },
        ],
        [3, { processRequest: () => Promise.reject(new Error("async boom")) }],
        [4, { processRequest: () => "not a command" as unknown as RemotingCommand }],
        [
          5,
          {
            processRequest: () => {
              // eslint-disable-next-line @typescript-eslint/only-throw-error -- a processor throwing a non-Error
              throw "a string";
            },
          },
        ],
        [
          6,
          {
            processRequest: (req) =>
              RemotingCommand.response(req, 200050, null).withOpaque(req.opaque),
          },
        ],
        [
          7,
          {
            processRequest: (req) => RemotingCommand.response(req, 0),
            rejectRequest: () => {
              throw new Error("reject boom");
            },
          },
        ],
      ]);
      const hook = (req: RemotingCommand) => {
        if (req.extFields.hook === "throw") throw new Error("hook boom");
        return null;
      };
      const onConnection = (connection: RemotingConnection) => {
        connection.onClose(() => {
          throw new Error("close listener boom");
        });
        throw new Error("onConnection boom");
      };
      const server = await startServer({ processors, hook, onConnection, logger });
      const connection = await client(server);
      const codes = await Promise.all(
        [2, 3, 4, 5, 7].map(async (code) => (await connection.invoke(request(code))).code),
      );
      expect(codes).toEqual([1, 1, 1, 1, 1]);
      expect((await connection.invoke(request(3))).remark).toBe("code 3 failed: async boom");
      expect((await connection.invoke(request(1, { hook: "throw" }))).remark).toContain(
        "hook boom",
      );
      const binary = new RemotingCommand({ code: 6, serializeType: SERIALIZE_TYPE_ROCKETMQ });
      const unencodable = await connection.invoke(binary);
      expect(unencodable.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(unencodable.remark).toContain("could not be encoded");
      expect((await connection.invoke(request(1, { still: "served" }))).extFields.still).toBe(
        "served",
      );
      await connection.close();
      await waitFor("the close listener", () =>
        lines.some((line) => line.msg === "a connection close listener threw"),
      );
    });
    expect(errors).toEqual([]);
    expect(lines.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual(
      expect.arrayContaining([
        "request failed",
        "the onConnection listener threw",
        "a response could not be encoded",
      ]),
    );
  });

  it("closes only the connection whose frame exceeds frameMaxLength, with a log line", async () => {
    const { logger, lines } = captureLogger();
    const server = await startServer({ processors: new Map([[1, echo]]), logger });
    const good = await client(server);
    const bad = await connectRaw(server.port);
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(16 * 1024 * 1024 + 1, 0);
    bad.socket.write(frame);
    await bad.closed;
    expect(
      lines.find((line) => line.msg.startsWith("closing connection: bad frame"))?.msg,
    ).toContain("frame length 16777217");
    expect((await good.invoke(request(1, { still: "served" }))).extFields.still).toBe("served");
  });

  it("closes only the connection whose header exceeds 64 KiB, with a log line", async () => {
    const { logger, lines } = captureLogger();
    const server = await startServer({ processors: new Map([[1, echo]]), logger });
    const good = await client(server);
    const bad = await connectRaw(server.port);
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(70 * 1024, 0);
    frame.writeInt32BE(64 * 1024 + 1, 4);
    bad.socket.write(frame);
    await bad.closed;
    expect(
      lines.find((line) => line.msg.startsWith("closing connection: bad frame"))?.msg,
    ).toContain("header length 65537");
    expect((await good.invoke(request(1, { still: "served" }))).extFields.still).toBe("served");
  });

  it("answers the requests before a bad frame in the same chunk, then closes that connection", async () => {
    const server = await startServer({ processors: new Map([[1, echo]]) });
    const raw = await connectRaw(server.port);
    const responses = new FrameDecoder();
    const opaques: number[] = [];
    raw.socket.on("data", (chunk: Buffer) =>
      responses.push(chunk).forEach((f) => opaques.push(RemotingCommand.decode(f).opaque)),
    );
    const garbage = Buffer.concat([Buffer.from([0, 0, 0, 10, 0, 0, 0, 6]), Buffer.from("{oops}")]);
    raw.socket.write(
      Buffer.concat([
        RemotingCommand.request(1, 41).encode(),
        RemotingCommand.request(1, 42).encode(),
        garbage,
      ]),
    );
    await raw.closed;
    expect(opaques).toEqual([41, 42]);
  });
});

describe("RemotingServer limits", () => {
  it("runs at most maxInFlightPerConnection requests of a connection at once; the rest wait their turn", async () => {
    const { processor, held } = holding();
    const server = await startServer({
      processors: new Map([[1, processor]]),
      limits: { maxInFlightPerConnection: 4 },
    });
    const connection = await client(server);
    // The client numbers its requests 1..10; frames 5..10 wait (the server holds them without their length prefix).
    const waitingBytes = [5, 6, 7, 8, 9, 10].reduce(
      (sum, opaque) =>
        sum +
        request(1, { n: String(opaque - 1) })
          .withOpaque(opaque)
          .encode().length -
        4,
      0,
    );
    const responses = Array.from({ length: 10 }, (_, n) =>
      connection.invoke(request(1, { n: String(n) })),
    );
    await waitFor("6 requests waiting for a slot", () => server.bufferedBytes === waitingBytes);
    expect(held.length).toBe(4);
    expect(server.inFlightRequests).toBe(4);
    expect(server.pausedConnections).toBe(1);
    held[0]!.release();
    await waitFor("a fifth request to start", () => held.length === 5);
    expect(server.inFlightRequests).toBe(4);
    for (let released = 1; released < 10; released++) {
      await waitFor(`request ${released} to start`, () => held.length > released);
      held[released]!.release();
    }
    expect((await Promise.all(responses)).map((response) => response.extFields.n)).toEqual(
      Array.from({ length: 10 }, (_, n) => String(n)),
    );
  });

  it("stops reading a client that does not read its responses, holding a bounded number of bytes", async () => {
    const body = Buffer.alloc(16 * 1024, 7);
    const requests = 3000;
    let processed = 0;
    let maxBuffered = 0;
    const sample = () => (maxBuffered = Math.max(maxBuffered, servers[0]?.bufferedBytes ?? 0));
    const counting: RequestProcessor = {
      processRequest: (req) => {
        processed++;
        sample();
        return RemotingCommand.response(req, ResponseCode.SUCCESS, null, {}, req.body);
      },
    };
    const server = await startServer({
      processors: new Map([[1, counting]]),
      limits: { maxInFlightPerConnection: 8 },
    });
    const sampler = setInterval(sample, 1);
    try {
      const raw = await connectRaw(server.port);
      raw.socket.pause();
      for (let n = 1; n <= requests; n++)
        raw.socket.write(RemotingCommand.request(1, n, {}, body).encode());
      await waitFor(
        "the server to stop reading",
        () => server.pausedConnections === 1 && server.inFlightRequests === 0 && processed > 0,
      );
      sample();
      const stoppedAt = processed;
      expect(stoppedAt).toBeLessThan(requests / 2);
      const decoder = new FrameDecoder();
      const answered = new Set<number>();
      raw.socket.on("data", (chunk: Buffer) =>
        decoder.push(chunk).forEach((frame) => answered.add(RemotingCommand.decode(frame).opaque)),
      );
      raw.socket.resume();
      await waitFor("every response", () => answered.size === requests, 30_000);
      expect(processed).toBe(requests);
    } finally {
      clearInterval(sampler);
    }
    // One chunk of waiting frames (64 KiB), a partial frame, 8 responses in flight and the socket's
    // 16 KiB high-water mark: well under 512 KiB, however much the client sends.
    expect(maxBuffered).toBeLessThan(512 * 1024);
  });

  it("refuses connections beyond maxConnections with a log line and accepts again once one closes", async () => {
    const { logger, lines } = captureLogger();
    const server = await startServer({
      processors: new Map([[1, echo]]),
      limits: { maxConnections: 2 },
      logger,
    });
    const first = await client(server);
    await client(server);
    await waitFor("two connections", () => server.connectionCount === 2);
    const third = await connectRaw(server.port);
    await third.closed;
    expect(
      lines.find((line) => line.msg.startsWith("connection refused: too many connections")),
    ).toMatchObject({ limit: 2 });
    await first.close();
    await waitFor("one connection", () => server.connectionCount === 1);
    expect((await (await client(server)).invoke(request(1, { n: "1" }))).extFields.n).toBe("1");
  });

  it("closes a connection idle for idleTimeoutMs with a log line and reports the close", async () => {
    const { logger, lines } = captureLogger();
    const events: string[] = [];
    const server = await startServer({
      processors: new Map([[1, echo]]),
      limits: { idleTimeoutMs: 100 },
      logger,
      onConnection: (connection, open) =>
        events.push(`${connection.id}:${open ? "open" : "close"}`),
    });
    const connection = await client(server);
    expect((await connection.invoke(request(1))).code).toBe(ResponseCode.SUCCESS);
    await connection.closed;
    expect(lines.find((line) => line.msg === "closing idle connection")).toMatchObject({
      idleMs: 100,
    });
    await waitFor("the close event", () => events.length === 2);
    expect(events).toEqual(["1:open", "1:close"]);
    expect(server.connectionCount).toBe(0);
  });
});

describe("RemotingServer.shutdown", () => {
  it("stops accepting, lets requests in flight finish and answers them, then closes", async () => {
    const { processor, held } = holding();
    const server = await startServer({ processors: new Map([[1, processor]]) });
    const connection = await client(server);
    const responses = [
      connection.invoke(request(1, { n: "1" })),
      connection.invoke(request(1, { n: "2" })),
    ];
    await waitFor("two requests in flight", () => held.length === 2);
    let done = false;
    const stopped = server.shutdown(10_000).then(() => (done = true));
    await expect(RemotingClient.connect({ port: server.port })).rejects.toMatchObject({
      code: "CONNECT_FAILED",
    });
    expect(done).toBe(false);
    held[1]!.release();
    expect((await responses[1]!).extFields.n).toBe("2");
    held[0]!.release();
    expect((await responses[0]!).extFields.n).toBe("1");
    await stopped;
    await connection.closed;
    expect(server.connectionCount).toBe(0);
  });

  it("closes connections whose requests outlast the grace period; their callers see CONNECTION_CLOSED", async () => {
    const { processor, held } = holding();
    const server = await startServer({ processors: new Map([[1, processor]]) });
    const connection = await client(server);
    const response = connection.invoke(request(1), 30_000);
    await waitFor("a request in flight", () => held.length === 1);
    const failed = expect(response).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    await server.shutdown(50);
    await failed;
  });
});

describe("RemotingServer connection notifications", () => {
  it("reports each connection open and closed with its id and peer address", async () => {
    const events: { id: number; remote: string; open: boolean }[] = [];
    const server = await startServer({
      processors: new Map([[1, echo]]),
      onConnection: (connection, open) =>
        events.push({ id: connection.id, remote: connection.remoteAddress, open }),
    });
    const raw = await connectRaw(server.port);
    const local = `${raw.socket.localAddress}:${raw.socket.localPort}`;
    await waitFor("the open event", () => events.length === 1);
    raw.socket.end();
    await waitFor("the close event", () => events.length === 2);
    expect(events).toEqual([
      { id: 1, remote: local, open: true },
      { id: 1, remote: local, open: false },
    ]);
  });

  it("lets a processor send the client a oneway request", async () => {
    const notify: RequestProcessor = {
      processRequest: (req, context) => {
        context.connection.sendOneway(
          RemotingCommand.request(40, 1, { consumerGroup: "g" }, null, true),
        );
        return RemotingCommand.response(req, ResponseCode.SUCCESS);
      },
    };
    const server = await startServer({ processors: new Map([[34, notify]]) });
    const received: RemotingCommand[] = [];
    const connection = await RemotingClient.connect({
      port: server.port,
      onRequest: (req) => void received.push(req),
    });
    clients.push(connection);
    await connection.invoke(request(34));
    await waitFor("the notification", () => received.length === 1);
    expect(received[0]).toMatchObject({ code: 40, isOneway: true });
  });
});

/**
 * Sends `total` random and mutated frames over a stream of short-lived connections (8 at a time, up to
 * 12 frames each, in random chunks, then a half-close) while a control client on its own connection
 * keeps invoking; resolves how many frames were sent and how many control requests were answered.
 */
async function fuzzLive(
  server: RemotingServer,
  total: number,
  seed: number,
): Promise<{ sent: number; controlAnswers: number }> {
  const prng = new Prng(seed);
  const seeds = seedFrames();
  const control = await client(server);
  let sent = 0;
  let fuzzing = true;
  let controlAnswers = 0;
  const controlLoop = (async () => {
    while (fuzzing) {
      const response = await control.invoke(request(1, { n: String(controlAnswers) }), 5_000);
      if (response.extFields.n !== String(controlAnswers))
        throw new Error(`control answer ${controlAnswers} was wrong`);
      controlAnswers++;
    }
  })();
  const fuzzConnection = async () => {
    while (sent < total) {
      const frames = Array.from({ length: Math.min(prng.int(1, 12), total - sent) }, () =>
        mutatedFrame(prng, seeds),
      );
      sent += frames.length;
      const raw = await connectRaw(server.port);
      raw.socket.resume(); // read (and drop) whatever is answered
      for (const chunk of randomChunks(prng, Buffer.concat(frames))) raw.socket.write(chunk);
      raw.socket.end();
      await raw.closed;
    }
  };
  try {
    await Promise.all(Array.from({ length: 8 }, fuzzConnection));
  } finally {
    fuzzing = false;
    await controlLoop;
  }
  return { sent, controlAnswers };
}

describe("RemotingServer under fuzzed frames", () => {
  async function run(total: number, seed: number): Promise<void> {
    let fuzzRequests = 0;
    const processors = new Map<number, RequestProcessor>([
      [1, echo],
      [
        310,
        {
          processRequest: (req) => (
            fuzzRequests++,
            RemotingCommand.response(req, ResponseCode.SUCCESS, null, { queueId: "0" })
          ),
        },
      ],
      [
        105,
        {
          processRequest: (req) => (
            fuzzRequests++,
            RemotingCommand.response(req, ResponseCode.TOPIC_NOT_EXIST, "no route")
          ),
        },
      ],
      [34, { processRequest: () => (fuzzRequests++, Promise.reject(new Error("heartbeat boom"))) }],
    ]);
    const { result, errors } = await withProcessErrors(async () => {
      const server = await startServer({ processors, limits: { idleTimeoutMs: 10_000 } });
      const outcome = await fuzzLive(server, total, seed);
      await waitFor("the fuzz connections to close", () => server.connectionCount === 1);
      expect((await clients[0]!.invoke(request(1, { after: "fuzz" }))).extFields.after).toBe(
        "fuzz",
      );
      return outcome;
    });
    expect(errors).toEqual([]);
    expect(result.sent).toBe(total);
    expect(result.controlAnswers).toBeGreaterThan(10);
    expect(fuzzRequests).toBeGreaterThan(total / 200); // requests that reached a processor before a bad frame
  }

  it("keeps serving a control connection through 10,000 fuzzed frames on other connections", async () => {
    await run(10_000, 0xf00d);
  });

  it(
    "keeps serving a control connection through 100,000 fuzzed frames on other connections",
    { tags: ["slow"] },
    async () => {
      await run(100_000, 0xbeef);
    },
  );
});
