import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  FLAG_ONEWAY,
  FrameDecoder,
  RemotingClient,
  RemotingCommand,
  RemotingError,
  RemotingServer,
  ResponseCode,
} from "../src/index.js";
import type { RequestProcessor } from "../src/index.js";
import { waitFor } from "./test-support.js";

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function remotingServer(processors: Map<number, RequestProcessor>): Promise<RemotingServer> {
  const server = new RemotingServer({ port: 0, host: "127.0.0.1", processors });
  await server.start();
  cleanups.push(() => server.shutdown(0));
  return server;
}

async function connect(
  port: number,
  options: Partial<Parameters<typeof RemotingClient.connect>[0]> = {},
): Promise<RemotingClient> {
  const client = await RemotingClient.connect({ port, ...options });
  cleanups.push(() => client.close());
  return client;
}

/** A raw node:net server that hands each socket's decoded commands to `onCommand`. */
async function rawServer(
  onCommand: (command: RemotingCommand, socket: Socket) => void,
): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    const decoder = new FrameDecoder();
    socket.on("data", (chunk: Buffer) =>
      decoder.push(chunk).forEach((frame) => onCommand(RemotingCommand.decode(frame), socket)),
    );
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  return { port: typeof address === "object" && address !== null ? address.port : 0, sockets };
}

const request = (code: number, extFields: Record<string, string> = {}) =>
  RemotingCommand.request(code, 999, extFields);

describe("RemotingClient", () => {
  it("numbers requests with its own opaque counter and matches responses answered out of order", async () => {
    const seen: number[] = [];
    const waiting: RemotingCommand[] = [];
    const { port } = await rawServer((command, socket) => {
      seen.push(command.opaque);
      waiting.push(command);
      if (waiting.length === 3) {
        for (const held of waiting.reverse())
          socket.write(RemotingCommand.response(held, 0, null, { n: held.extFields.n! }).encode());
      }
    });
    const client = await connect(port);
    const responses = await Promise.all(
      ["a", "b", "c"].map((n) => client.invoke(request(1, { n }))),
    );
    expect(seen).toEqual([1, 2, 3]);
    expect(responses.map((response) => response.extFields.n)).toEqual(["a", "b", "c"]);
    expect(client.pendingRequests).toBe(0);
  });

  it("rejects with REMOTING_TIMEOUT naming the request, drops the late response and stays usable", async () => {
    const held: { command: RemotingCommand; socket: Socket }[] = [];
    const { port } = await rawServer((command, socket) => {
      if (command.code === 1) held.push({ command, socket });
      else socket.write(RemotingCommand.response(command, 0, "fast").encode());
    });
    const client = await connect(port);
    const error = await client.invoke(request(1), 30).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RemotingError);
    expect(error).toMatchObject({
      code: "REMOTING_TIMEOUT",
      message: expect.stringContaining("opaque 1") as unknown,
    });
    held[0]!.socket.write(RemotingCommand.response(held[0]!.command, 0, "late").encode());
    expect((await client.invoke(request(2))).remark).toBe("fast");
    expect(client.isOpen).toBe(true);
  });

  it("fails waiting requests with CONNECTION_CLOSED when the server closes, and every later call", async () => {
    const { port, sockets } = await rawServer(() => {});
    const client = await connect(port);
    const waiting = client.invoke(request(1), 10_000);
    await waitFor("the server to get the request", () => sockets.length === 1);
    const failed = expect(waiting).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    sockets[0]!.destroy();
    await failed;
    await client.closed;
    await expect(client.invoke(request(1))).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    await expect(client.invokeOneway(request(1))).rejects.toMatchObject({
      code: "CONNECTION_CLOSED",
    });
  });

  it("fails waiting requests with CONNECTION_CLOSED when it is closed itself", async () => {
    const { port } = await rawServer(() => {});
    const client = await connect(port);
    const waiting = client.invoke(request(1), 10_000);
    const failed = expect(waiting).rejects.toMatchObject({
      code: "CONNECTION_CLOSED",
      message: expect.stringContaining("closed by the client") as unknown,
    });
    await client.close();
    await failed;
  });

  it("closes the connection on a bad frame from the server", async () => {
    const { port } = await rawServer((_command, socket) =>
      socket.write(Buffer.from([0x7f, 0, 0, 0, 0, 0, 0, 0])),
    );
    const client = await connect(port);
    await expect(client.invoke(request(1))).rejects.toMatchObject({
      code: "CONNECTION_CLOSED",
      message: expect.stringContaining("frame length") as unknown,
    });
  });

  it("refuses a connection it cannot make with CONNECT_FAILED", async () => {
    const { port } = await rawServer(() => {});
    const probe = await connect(port);
    await probe.close();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await expect(RemotingClient.connect({ port })).rejects.toMatchObject({
      code: "CONNECT_FAILED",
    });
  });

  it("refuses a request beyond maxPendingRequests with TOO_MANY_REQUESTS", async () => {
    const { port } = await rawServer(() => {});
    const client = await connect(port, { maxPendingRequests: 2 });
    const first = client.invoke(request(1), 10_000).catch(() => "closed");
    const second = client.invoke(request(1), 10_000).catch(() => "closed");
    await expect(client.invoke(request(1))).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    await client.close();
    expect(await Promise.all([first, second])).toEqual(["closed", "closed"]);
  });

  it("sends a oneway request with the ONEWAY flag, which the server does not answer", async () => {
    let processed: RemotingCommand | null = null;
    const server = await remotingServer(
      new Map([
        [15, { processRequest: (req) => ((processed = req), RemotingCommand.response(req, 0)) }],
      ]),
    );
    const client = await connect(server.port);
    await client.invokeOneway(request(15, { commitOffset: "3" }));
    await waitFor("the oneway request", () => processed !== null);
    expect(processed!.flag & FLAG_ONEWAY).toBe(FLAG_ONEWAY);
    expect(processed!.extFields.commitOffset).toBe("3");
    expect(client.pendingRequests).toBe(0);
  });

  it("answers a server's request with its handler, or REQUEST_CODE_NOT_SUPPORTED without one", async () => {
    const answers: RemotingCommand[] = [];
    const { port, sockets } = await rawServer((command) => answers.push(command));
    const withHandler = await connect(port, {
      onRequest: (req) =>
        RemotingCommand.response(req, ResponseCode.SUCCESS, `handled ${req.code}`),
    });
    const without = await connect(port);
    await waitFor("two connections", () => sockets.length === 2);
    for (const socket of sockets) socket.write(RemotingCommand.request(307, 5).encode());
    await waitFor("two answers", () => answers.length === 2);
    expect(answers.map((answer) => [answer.opaque, answer.isResponse, answer.code]).sort()).toEqual(
      [
        [5, true, ResponseCode.SUCCESS],
        [5, true, ResponseCode.REQUEST_CODE_NOT_SUPPORTED],
      ],
    );
    expect(answers.find((answer) => answer.code === 0)?.remark).toBe("handled 307");
    expect(withHandler.isOpen && without.isOpen).toBe(true);
  });

  it("answers SYSTEM_ERROR when its handler throws", async () => {
    const answers: RemotingCommand[] = [];
    const { port, sockets } = await rawServer((command) => answers.push(command));
    await connect(port, {
      onRequest: () => {
        throw new Error("handler boom");
      },
    });
    await waitFor("the connection", () => sockets.length === 1);
    sockets[0]!.write(RemotingCommand.request(307, 6).encode());
    await waitFor("the answer", () => answers.length === 1);
    expect(answers[0]).toMatchObject({
      code: ResponseCode.SYSTEM_ERROR,
      remark: "handler boom",
      opaque: 6,
    });
  });
});
