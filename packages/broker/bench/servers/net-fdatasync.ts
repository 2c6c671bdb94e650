// Baseline (b): what a durable broker allows here. The (a) server, but the bodies of the requests
// received in one event-loop turn are appended to a file with one write and one fdatasync before
// any of them is answered; requests arriving meanwhile form the next batch (group commit). The file
// is zero-filled beforehand and reused from the start when full, as a store pre-allocates segments.
import * as fs from "node:fs";
import { join } from "node:path";
import type { Socket } from "node:net";
import { zeroFilledFile } from "@store/bench-kit";
import { FrameSplitter } from "../frame-splitter.js";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";
import { fixedResponse, listen, requestOpaque } from "./net-baseline.js";

const FILE_SIZE = 256 * 1024 * 1024;
/** pwritev takes at most this many buffers (IOV_MAX). */
const IOV_MAX = 1024;

interface Waiting {
  readonly socket: Socket;
  readonly response: Buffer;
  readonly body: Buffer;
}

class GroupCommitLog {
  readonly #fd: number;
  #position = 0;
  #batch: Waiting[] = [];
  #scheduled = false;
  #syncing = false;

  constructor(path: string) {
    zeroFilledFile(path, FILE_SIZE);
    this.#fd = fs.openSync(path, "r+");
  }

  add(waiting: Waiting): void {
    this.#batch.push(waiting);
    if (!this.#scheduled && !this.#syncing) {
      this.#scheduled = true;
      setImmediate(() => this.#commit());
    }
  }

  close(): void {
    fs.closeSync(this.#fd);
  }

  #commit(): void {
    this.#scheduled = false;
    const batch = this.#batch.splice(0, IOV_MAX);
    if (batch.length === 0) return;
    const bytes = batch.reduce((sum, waiting) => sum + waiting.body.length, 0);
    if (this.#position + bytes > FILE_SIZE) this.#position = 0;
    this.#syncing = true;
    fs.writev(
      this.#fd,
      batch.map((waiting) => waiting.body),
      this.#position,
      (writeError) => {
        if (writeError) throw writeError;
        this.#position += bytes;
        fs.fdatasync(this.#fd, (syncError) => {
          if (syncError) throw syncError;
          this.#syncing = false;
          answer(batch);
          if (this.#batch.length > 0) this.#commit();
        });
      },
    );
  }
}

/** One write per socket for the batch's responses. */
function answer(batch: readonly Waiting[]): void {
  const bySocket = new Map<Socket, Buffer[]>();
  for (const waiting of batch) {
    const list = bySocket.get(waiting.socket);
    if (list === undefined) bySocket.set(waiting.socket, [waiting.response]);
    else list.push(waiting.response);
  }
  for (const [socket, responses] of bySocket)
    if (!socket.destroyed)
      socket.write(responses.length === 1 ? responses[0]! : Buffer.concat(responses));
}

export async function start(options: BenchServerOptions): Promise<BenchServer> {
  const log = new GroupCommitLog(join(options.dir, "baseline-log"));
  const { port, close } = await listen((socket) => {
    const splitter = new FrameSplitter((data, start, end) => {
      const headerLength = data.readUInt32BE(start) & 0xffffff;
      log.add({
        socket,
        response: fixedResponse(requestOpaque(data, start)),
        body: data.subarray(start + 4 + headerLength, end),
      });
    });
    socket.on("data", (chunk: Buffer) => splitter.push(chunk));
  });
  return {
    port,
    stop: async () => {
      await close();
      log.close();
    },
  };
}
