// RemotingServer with a SEND_MESSAGE_V2 processor that stores each message with
// MessageStore.putMessage (@store/commitlog) and answers as the Java broker does; `variant` picks the
// flush strategy: ASYNC_FLUSH, ASYNC_FLUSH+pool (transientStorePoolEnable) or SYNC_FLUSH.
import {
  RemotingCommand,
  RemotingServer,
  RequestCode,
  ResponseCode,
  optionalInt,
  optionalString,
  requiredInt,
  requiredString,
} from "@store/broker";
import type { RequestProcessor } from "@store/broker";
import { MessageStore } from "@store/commitlog";
import { stringToMessageProperties } from "@store/message-codec";
import type { MessageStoreConfigInput, PutMessageStatus } from "@store/commitlog";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";

const MIB = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** RocketMQ's SendMessageProcessor mapping of put statuses to response codes. */
const RESPONSE_CODES: Record<PutMessageStatus, number> = {
  PUT_OK: ResponseCode.SUCCESS,
  FLUSH_DISK_TIMEOUT: ResponseCode.FLUSH_DISK_TIMEOUT,
  FLUSH_SLAVE_TIMEOUT: ResponseCode.FLUSH_SLAVE_TIMEOUT,
  SLAVE_NOT_AVAILABLE: ResponseCode.SLAVE_NOT_AVAILABLE,
  SERVICE_NOT_AVAILABLE: ResponseCode.SERVICE_NOT_AVAILABLE,
  CREATE_MAPEDFILE_FAILED: ResponseCode.SYSTEM_ERROR,
  MESSAGE_ILLEGAL: ResponseCode.MESSAGE_ILLEGAL,
  PROPERTIES_SIZE_EXCEEDED: ResponseCode.MESSAGE_ILLEGAL,
  OS_PAGECACHE_BUSY: ResponseCode.SYSTEM_BUSY,
  UNKNOWN_ERROR: ResponseCode.SYSTEM_ERROR,
};

export function storeConfig(dir: string, variant: string): MessageStoreConfigInput {
  if (!["ASYNC_FLUSH", "ASYNC_FLUSH+pool", "SYNC_FLUSH"].includes(variant))
    throw new Error(`unknown flush strategy ${variant}`);
  return {
    storePathRootDir: dir,
    mappedFileSizeCommitLog: 128 * MIB,
    flushDiskType: variant === "SYNC_FLUSH" ? "SYNC_FLUSH" : "ASYNC_FLUSH",
    transientStorePoolEnable: variant === "ASYNC_FLUSH+pool",
    transientStorePoolSize: 3,
  };
}

/** SEND_MESSAGE_V2 (header keys a..l, research §3.2) straight into the store. */
export function sendProcessor(store: MessageStore): RequestProcessor {
  return {
    async processRequest(request, { connection }) {
      const fields = request.extFields;
      const properties = optionalString(fields, "i");
      const result = await store.putMessage({
        topic: requiredString(fields, "b"),
        body: request.body ?? EMPTY,
        queueId: requiredInt(fields, "e", { min: 0, max: 1023 }),
        sysFlag: optionalInt(fields, "f", 0, { min: 0, max: 2 ** 31 - 1 }),
        bornTimestamp: optionalInt(fields, "g", Date.now(), { min: 0 }),
        flag: optionalInt(fields, "h", 0, { min: -(2 ** 31), max: 2 ** 31 - 1 }),
        properties: properties === undefined ? undefined : stringToMessageProperties(properties),
        reconsumeTimes: optionalInt(fields, "j", 0, { min: 0, max: 2 ** 31 - 1 }),
        bornHost: connection.remoteAddress,
      });
      const append = result.appendResult;
      const code = RESPONSE_CODES[result.status];
      if (
        append === undefined ||
        (code !== ResponseCode.SUCCESS && code !== ResponseCode.FLUSH_DISK_TIMEOUT)
      ) {
        return RemotingCommand.response(request, code, result.reason ?? result.status);
      }
      return RemotingCommand.response(request, code, null, {
        msgId: append.msgId,
        queueId: fields.e ?? "0",
        queueOffset: String(append.logicsOffset),
      });
    },
  };
}

/**
 * Waits (≤ 60 s) until the first segment is in use and the next one made ahead, so the measurement
 * does not include the pre-allocation of the first files (a segment appears once it is complete).
 */
export async function ready(store: MessageStore, dir: string): Promise<void> {
  const put = await store.putMessage({ topic: "BenchWarmUp", body: Buffer.from("warm") });
  if (put.status !== "PUT_OK") throw new Error(`warm-up put failed: ${put.status}`);
  const deadline = Date.now() + 60_000;
  const segments = () =>
    readdirSync(join(dir, "commitlog")).filter((name) => /^\d{20}$/.test(name)).length;
  while (segments() < 2) {
    if (Date.now() > deadline) throw new Error("the store made no second segment within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function start(options: BenchServerOptions): Promise<BenchServer> {
  const store = await MessageStore.open(
    storeConfig(options.dir, options.variant ?? "ASYNC_FLUSH"),
    { logger: pino({ level: "warn" }) },
  );
  await ready(store, options.dir);
  const server = new RemotingServer({
    port: 0,
    host: "127.0.0.1",
    processors: new Map([[RequestCode.SEND_MESSAGE_V2, sendProcessor(store)]]),
  });
  const port = await server.start();
  return {
    port,
    stop: async () => {
      await server.shutdown(1_000);
      await store.shutdown();
    },
  };
}
