// Baseline (a): what Node's networking allows here. A minimal node:net server that splits the frames,
// parses each JSON header (for its opaque) and answers the fixed SEND response; one socket write per
// chunk of requests.
import { createServer } from "node:net";
import type { Socket } from "node:net";
import { FrameSplitter } from "../frame-splitter.js";
import { sendResponseTemplate, stampOpaque } from "../send-frames.js";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";

/** The opaque of a request frame `data[start, end)`, from its parsed JSON header. */
export function requestOpaque(data: Buffer, start: number): number {
  const headerLength = data.readUInt32BE(start) & 0xffffff;
  const header = JSON.parse(data.toString("utf8", start + 4, start + 4 + headerLength)) as {
    opaque: number;
  };
  return header.opaque;
}

/** The fixed response with `opaque` stamped in, as a new buffer. */
export function fixedResponse(opaque: number): Buffer {
  const { frame, opaqueAt } = sendResponseTemplate();
  stampOpaque(frame, opaqueAt, opaque);
  return frame;
}

/** Listens on 127.0.0.1; `onSocket` wires each accepted socket. */
export async function listen(
  onSocket: (socket: Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : 0,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export async function start(_options: BenchServerOptions): Promise<BenchServer> {
  const { port, close } = await listen((socket) => {
    const responses: Buffer[] = [];
    const splitter = new FrameSplitter((data, start) =>
      responses.push(fixedResponse(requestOpaque(data, start))),
    );
    socket.on("data", (chunk: Buffer) => {
      splitter.push(chunk);
      if (responses.length === 0) return;
      socket.write(responses.length === 1 ? responses[0]! : Buffer.concat(responses));
      responses.length = 0;
    });
  });
  return { port, stop: close };
}
