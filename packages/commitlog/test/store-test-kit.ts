import type { FileIO } from "@store/mapped-file";
import type { SimulatedDisk, VirtualClock } from "@store/mapped-file/testing";
import { expect } from "vitest";
import { decodeMessage } from "@store/message-codec";
import type { DecodedMessage, MessageInput } from "@store/message-codec";
import type { MessageStoreConfigInput } from "../src/message-store-config.js";
import type { MessageStoreOptions } from "../src/message-store.js";
import { MessageStore } from "../src/message-store.js";
import type { PutMessageResult } from "../src/store-types.js";
import { silentLogger, waitFor } from "./helpers.js";

/** Root of every store on a SimulatedDisk. */
export const SIM_ROOT = "/store";
/** Commit-log directory of a SimulatedDisk store. */
export const SIM_COMMITLOG = `${SIM_ROOT}/commitlog`;

/** RocketMQ DefaultMessageStoreTest's body. */
export const BODY = "Once, there was a chance for me!";

/** Opens a store on the simulated disk at /store (fast services, small files unless overridden). */
export function openOnDisk(
  disk: SimulatedDisk,
  config: MessageStoreConfigInput = {},
  options: MessageStoreOptions = {},
): Promise<MessageStore> {
  return MessageStore.open(
    {
      storePathRootDir: SIM_ROOT,
      mappedFileSizeCommitLog: 4096,
      mappedFileSizeConsumeQueue: 400 * 20,
      flushIntervalCommitLog: 5,
      flushIntervalConsumeQueue: 5,
      ...config,
    },
    { io: disk, logger: silentLogger, ...options },
  );
}

/** The segment file of a SimulatedDisk commit log that starts at `offset`. */
export function commitLogFile(offset: number): string {
  return `${SIM_COMMITLOG}/${String(offset).padStart(20, "0")}`;
}

/** A message of topic `topic`, queue 0 unless given, whose body says `${BODY} ${i}`. */
export function message(topic: string, i: number, extra: Partial<MessageInput> = {}): MessageInput {
  return { topic, body: Buffer.from(`${BODY} ${i}`), tags: "TAG1", ...extra };
}

/** Puts and asserts PUT_OK; returns the result. */
export async function putOk(store: MessageStore, msg: MessageInput): Promise<PutMessageResult> {
  const result = await store.putMessage(msg);
  expect(result.status, result.reason).toBe("PUT_OK");
  return result;
}

/** Puts `count` messages `message(topic, from + i)` in order; returns the results. */
export async function putMany(
  store: MessageStore,
  topic: string,
  count: number,
  from = 0,
  extra: Partial<MessageInput> = {},
): Promise<PutMessageResult[]> {
  const results: PutMessageResult[] = [];
  for (let i = 0; i < count; i++) results.push(await putOk(store, message(topic, from + i, extra)));
  return results;
}

/** The message lookMessageByOffset finds at `offset`; throws when it finds none (or something else). */
export async function messageAt(store: MessageStore, offset: number): Promise<DecodedMessage> {
  const found = await store.lookMessageByOffset(offset, { detail: true });
  if (found?.kind !== "MESSAGE")
    throw new Error(`no message at ${offset}: ${JSON.stringify(found)}`);
  return found;
}

/** Waits until the queue's max offset reaches `count`. */
export function waitDispatched(
  store: MessageStore,
  topic: string,
  count: number,
  queueId = 0,
): Promise<void> {
  return waitFor(() => store.getMaxOffsetInQueue(topic, queueId) >= count);
}

/** Every message of a queue from its min offset, decoded with CRC checks. */
export async function readQueue(
  store: MessageStore,
  topic: string,
  queueId = 0,
): Promise<DecodedMessage[]> {
  const messages: DecodedMessage[] = [];
  for (let offset = store.getMinOffsetInQueue(topic, queueId); ;) {
    const got = await store.getMessage("group", topic, queueId, offset, 32);
    if (got.status !== "FOUND") return messages;
    for (const record of got.messages) {
      const decoded = decodeMessage(record, 0, { checkCRC: true });
      if (!decoded.ok)
        throw new Error(`record at queue offset ${offset} does not decode: ${decoded.code}`);
      messages.push(decoded.message);
    }
    offset = got.nextBeginOffset;
  }
}

/** The bodies of a queue as text. */
export async function readBodies(
  store: MessageStore,
  topic: string,
  queueId = 0,
): Promise<string[]> {
  return (await readQueue(store, topic, queueId)).map((m) => m.body?.toString() ?? "");
}

/** `${BODY} ${i}` for i in [from, from + count). */
export function bodies(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `${BODY} ${from + i}`);
}

/** A view of the disk that counts reads of commit-log files. */
export function countingCommitLogReads(disk: SimulatedDisk): { io: FileIO; reads: () => number } {
  const commitLogFds = new Set<number>();
  let reads = 0;
  const open: FileIO["open"] = async (path, create) => {
    const fd = await disk.open(path, create);
    if (path.startsWith(SIM_COMMITLOG)) commitLogFds.add(fd);
    return fd;
  };
  const pread: FileIO["pread"] = (fd, buffer, offset, length, position) => {
    if (commitLogFds.has(fd)) reads++;
    return disk.pread(fd, buffer, offset, length, position);
  };
  const io = new Proxy(disk, {
    get(target, name, receiver) {
      if (name === "open") return open;
      if (name === "pread") return pread;
      const value: unknown = Reflect.get(target, name, receiver);
      return typeof value === "function"
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { io, reads: () => reads };
}

/**
 * Moves a virtual clock on, `stepMs` at a time, until `work` settles (a shutdown waits on the
 * services' timers); returns its result. Gives up after `maxMs` of virtual time.
 */
export async function onClock<T>(
  clock: VirtualClock,
  work: Promise<T>,
  stepMs = 10,
  maxMs = 600_000,
): Promise<T> {
  let settled = false;
  const watched = work.finally(() => (settled = true));
  watched.catch(() => undefined); // the caller gets the rejection below, not the process
  for (let elapsed = 0; !settled; elapsed += stepMs) {
    if (elapsed > maxMs) throw new Error(`still pending after ${maxMs} ms of virtual time`);
    await clock.advance(stepMs);
  }
  return watched;
}
