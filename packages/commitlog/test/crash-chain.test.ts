import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMessage } from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";
import type { MessageStore } from "../src/message-store.js";
import type {
  Chain,
  Crash,
  DirectoryMode,
  LifePlan,
  PutRecord,
  Step,
  Strategy,
} from "./crash-chain-kit.js";
import {
  Incarnation,
  bodyOf,
  chainArbitrary,
  idOf,
  newWorld,
  openIncarnation,
} from "./crash-chain-kit.js";
import { onClock } from "./store-test-kit.js";

/**
 * The durability table of the README under chains of power cuts: several crashes on one store (some
 * during recovery), in both directory modes of the simulated disk. After every recovery:
 * - every consume-queue unit points at its record: a message of that topic, queue id and queue
 *   offset, of the unit's size; no queue has a hole;
 * - nothing is served that was not put, nothing twice, nothing with another topic, queue or
 *   properties than it was put with, and an acknowledged message only at its acknowledged queue
 *   offset;
 * - everything promised is served: under SYNC_FLUSH every acknowledged message; in every mode what
 *   an fdatasync covered before the crash (and, after a kill -9 without a pool, every acknowledged
 *   message).
 */

interface World {
  readonly strategy: Strategy;
  readonly puts: Map<number, PutRecord>;
  nextId: number;
}

function inputFor(world: World, step: Extract<Step, { kind: "put" }>, size: number): MessageInput {
  const id = world.nextId++;
  const properties: Record<string, string> =
    step.padding > 0 ? { id: String(id), pad: "p".repeat(step.padding) } : { id: String(id) };
  properties.UNIQ_KEY = `u${id}`;
  const input: MessageInput = {
    topic: step.topic,
    queueId: step.queueId,
    body: bodyOf(id, size),
    tags: `t${id % 3}`,
    keys: [`k${id}`, `g${id % GROUPS}`],
    properties,
  };
  world.puts.set(id, { id, input, result: null, promise: "none" });
  return input;
}

/** Starts a step's puts (not awaited: a crash may come first) and returns their promises. */
function startPuts(
  world: World,
  store: MessageStore,
  step: Extract<Step, { kind: "put" }>,
): Promise<unknown>[] {
  const inputs = step.sizes.map((size) => inputFor(world, step, size));
  const record = (
    input: MessageInput,
    index: number,
    result: Awaited<ReturnType<MessageStore["putMessage"]>>,
  ): void => {
    const put = world.puts.get(idOf(input.body as Buffer)) as PutRecord;
    const append = result.appendResult;
    put.result =
      append === undefined || index === 0
        ? result
        : { ...result, appendResult: { ...append, logicsOffset: append.logicsOffset + index } };
  };
  if (step.batch && inputs.length > 1)
    return [
      store
        .putMessages(inputs)
        .then((result) => inputs.forEach((input, i) => record(input, i, result))),
    ];
  return inputs.map((input) => store.putMessage(input).then((result) => record(input, 0, result)));
}

/** What the crash leaves owed to the puts of the life it ended. */
function promise(world: World, lifePuts: readonly number[], crash: CrashPoint): void {
  const pool = world.strategy === "ASYNC_POOL";
  for (const id of lifePuts) {
    const put = world.puts.get(id) as PutRecord;
    const append = put.result?.appendResult;
    if (put.result === null || append === undefined || append.status !== "PUT_OK") continue;
    const ok = put.result.status === "PUT_OK";
    const covered = append.wroteOffset + append.wroteBytes <= crash.durableEnd;
    if ((ok && world.strategy === "SYNC_FLUSH") || (covered && crash.kind === "power"))
      put.promise = "durable";
    else if (crash.kind === "process" && (covered || (ok && !pool))) put.promise = "page-cache";
  }
}

/** After a recovery: it completed (what a kill -9 left is durable now), or the power went during it. */
function recovered(world: World, completed: boolean): void {
  for (const put of world.puts.values())
    if (put.promise === "page-cache") put.promise = completed ? "durable" : "none";
}

interface CrashPoint {
  kind: "power" | "process";
  /** Where the log was durable (power cut) or in the page cache (kill -9) when it came. */
  durableEnd: number;
}

async function runLife(
  world: World,
  plan: LifePlan,
  life: Incarnation,
  store: MessageStore,
  clock: ReturnType<typeof newWorld>["clock"],
  point: CrashPoint,
): Promise<void> {
  const pending: Promise<unknown>[] = [];
  const before = world.nextId;
  for (const step of plan.steps) {
    if (life.crashed) break;
    if (step.kind === "put") pending.push(...startPuts(world, store, step));
    else await clock.advance(step.ms);
  }
  endLife(plan.crash, life);
  await onClock(clock, store.halt(), 1);
  await onClock(clock, Promise.allSettled(pending), 1);
  promise(
    world,
    Array.from({ length: world.nextId - before }, (_, i) => before + i),
    point,
  );
}

function endLife(crash: Crash, life: Incarnation): void {
  if (crash.kind === "process") life.kill();
  else if (crash.kind === "writeback")
    life.cut({ keepOnly: (write) => crash.keep[write.index % crash.keep.length] === true });
  else
    life.cut({ keepUnsyncedWrites: crash.keepUnsyncedWrites, tearNextWrite: crash.tearNextWrite });
}

/** The first broken promise after a recovery, or null. */
async function check(world: World, store: MessageStore): Promise<string | null> {
  const served = new Map<number, { topic: string; queueId: number; queueOffset: number }>();
  for (const { topic, queueId } of store.listTopicQueues()) {
    const queue = store.consumeQueues.find(topic, queueId);
    if (queue === undefined) return `${topic}-${queueId} listed but not found`;
    for (let q = queue.getMinOffsetInQueue(); q < queue.getMaxOffsetInQueue(); q++) {
      const problem = await checkUnit(world, store, topic, queueId, q, served);
      if (problem !== null) return `${topic}-${queueId}@${q}: ${problem}`;
    }
  }
  for (const put of world.puts.values()) {
    const at = served.get(put.id);
    if (put.promise === "durable" && at === undefined)
      return `message ${put.id} was promised (${put.result?.status}) but is not served`;
  }
  return inPutOrder(served) ?? (await checkIndex(store, served));
}

/** Messages i of a chain carry keys `k<i>` and `g<i % GROUPS>`, and UNIQ_KEY `u<i>`. */
const GROUPS = 4;

/** The ids a query by key returns, in order. */
async function query(store: MessageStore, topic: string, key: string): Promise<number[]> {
  const result = await store.queryMessage(topic, key, 10_000, 0, Number.MAX_SAFE_INTEGER);
  return result.messages.map((record) => {
    const decoded = decodeMessage(record);
    return decoded.ok ? idOf(decoded.message.body) : -1;
  });
}

/**
 * The message index after a recovery: every message in the log (served) is found by its group key,
 * once, and nothing else is; some are also looked up by their own key and UNIQ_KEY.
 */
async function checkIndex(
  store: MessageStore,
  served: ReadonlyMap<number, { topic: string }>,
): Promise<string | null> {
  for (const topic of new Set([...served.values()].map((at) => at.topic))) {
    const ids = [...served].filter(([, at]) => at.topic === topic).map(([id]) => id);
    for (let group = 0; group < GROUPS; group++) {
      const expected = ids.filter((id) => id % GROUPS === group).sort((a, b) => a - b);
      const got = (await query(store, topic, `g${group}`)).sort((a, b) => a - b);
      if (JSON.stringify(got) !== JSON.stringify(expected))
        return `index: ${topic}#g${group} finds [${got.join(",")}], the log holds [${expected.join(",")}]`;
    }
    for (const id of [...ids.slice(0, 2), ...ids.slice(-2)]) {
      for (const key of [`k${id}`, `u${id}`]) {
        const got = await query(store, topic, key);
        if (got.length !== 1 || got[0] !== id)
          return `index: ${topic}#${key} finds [${got.join(",")}]`;
      }
    }
  }
  return null;
}

/**
 * Within a queue, messages are served in the order they were put (ids grow with queue offsets): a
 * recovered log is a prefix of what was appended, and a queue offset lost in a crash goes to a later put.
 */
function inPutOrder(
  served: ReadonlyMap<number, { topic: string; queueId: number; queueOffset: number }>,
): string | null {
  const byQueue = new Map<string, [number, number][]>();
  for (const [id, at] of served) {
    const key = `${at.topic}-${at.queueId}`;
    byQueue.set(key, [...(byQueue.get(key) ?? []), [at.queueOffset, id]]);
  }
  for (const [key, entries] of byQueue) {
    entries.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < entries.length; i++) {
      if ((entries[i]?.[1] ?? 0) < (entries[i - 1]?.[1] ?? 0))
        return `${key} serves message ${entries[i]?.[1]} after ${entries[i - 1]?.[1]}`;
    }
  }
  return null;
}

async function checkUnit(
  world: World,
  store: MessageStore,
  topic: string,
  queueId: number,
  q: number,
  served: Map<number, { topic: string; queueId: number; queueOffset: number }>,
): Promise<string | null> {
  const unit = await store.consumeQueues.find(topic, queueId)?.getUnit(q);
  if (unit === null || unit === undefined) return "no unit";
  const found = await store.lookMessageByOffset(unit.offset, { detail: true });
  if (found?.kind !== "MESSAGE")
    return `unit points at ${found?.kind ?? "nothing"} (${unit.offset})`;
  if (
    found.totalSize !== unit.size ||
    found.topic !== topic ||
    found.queueId !== queueId ||
    found.queueOffset !== q
  )
    return `unit points at ${found.topic}-${found.queueId}@${found.queueOffset}`;
  const got = await store.getMessage("g", topic, queueId, q, 1);
  const record = got.messages[0];
  const decoded = record === undefined ? null : decodeMessage(record);
  if (got.status !== "FOUND" || decoded === null || !decoded.ok) return `not served: ${got.status}`;
  const id = idOf(decoded.message.body);
  const put = world.puts.get(id);
  if (put === undefined) return `serves a message never put (${id})`;
  if (served.has(id)) return `serves message ${id} twice`;
  served.set(id, { topic, queueId, queueOffset: q });
  const input = put.input;
  if (
    !decoded.message.body.equals(input.body) ||
    input.topic !== topic ||
    (input.queueId ?? 0) !== queueId
  )
    return `message ${id} differs from what was put`;
  const sorted = (properties: Readonly<Record<string, string>>): string =>
    JSON.stringify(Object.entries(properties).sort(([a], [b]) => a.localeCompare(b)));
  const expected = {
    ...input.properties,
    TAGS: input.tags as string,
    KEYS: (input.keys as string[]).join(" "),
  };
  if (sorted(decoded.message.properties) !== sorted(expected))
    return `message ${id} has properties ${sorted(decoded.message.properties)}`;
  const acked = put.result?.appendResult;
  if (acked !== undefined && acked.status === "PUT_OK" && acked.logicsOffset !== q)
    return `message ${id} acknowledged at ${acked.logicsOffset}`;
  return null;
}

async function runChain(
  strategy: Strategy,
  mode: DirectoryMode,
  chain: Chain,
): Promise<string | null> {
  const { disk, clock } = newWorld(mode);
  const world: World = { strategy, puts: new Map(), nextId: 0 };
  const final: LifePlan = { steps: [], crash: { kind: "process" } };
  for (const [index, plan] of [...chain.lives, final].entries()) {
    const last = index === chain.lives.length;
    const point: CrashPoint = { kind: "power", durableEnd: 0 };
    const life = new Incarnation(disk, last ? { kind: "process" } : plan.crash, () => {
      point.kind = plan.crash.kind === "process" ? "process" : "power";
      point.durableEnd = durableEnd(life.store, strategy, plan.crash);
    });
    const store = await openIncarnation(life, clock, strategy);
    recovered(world, store !== null);
    if (store === null) continue; // the power went during recovery
    const problem = await check(world, store);
    if (problem !== null) return `after crash ${index}: ${problem}`;
    if (last) {
      await onClock(clock, store.shutdown(), 1);
      return null;
    }
    await runLife(world, plan, life, store, clock, point);
  }
  return null;
}

function durableEnd(store: MessageStore | null, strategy: Strategy, crash: Crash): number {
  if (store === null) return 0;
  const queue = store.commitLog.mappedFileQueue;
  return crash.kind === "process" && strategy === "ASYNC_POOL"
    ? queue.committedWhere
    : queue.flushedWhere;
}

function chainProperty(strategy: Strategy, numRuns: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(
      fc.constantFrom<DirectoryMode>("at-once", "directory-sync"),
      chainArbitrary,
      async (mode, chain) => {
        expect(await runChain(strategy, mode, chain)).toBeNull();
      },
    ),
    { numRuns },
  );
}

describe("MessageStore under chains of crashes", () => {
  for (const strategy of ["SYNC_FLUSH", "ASYNC_FLUSH", "ASYNC_POOL"] as const) {
    it(`${strategy}: after every crash of a chain, units point at their records and every promise holds`, async () => {
      await chainProperty(strategy, 25);
    });

    it(`${strategy}: 1000 chains`, { tags: ["slow"] }, async () => {
      await chainProperty(strategy, 1000);
    });
  }
});
