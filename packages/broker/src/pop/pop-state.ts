import { PopError } from "./pop-error.js";

/**
 * One message handed out by a pop and not yet acked (RocketMQ's PopCheckPoint, one per message):
 * what to revive when its invisible time passes.
 */
export interface PopCheckPoint {
  /** The receipt handle the consumer acks with (opaque, unique per delivery). */
  readonly handle: string;
  readonly group: string;
  /** The topic the consumer asked for (the original topic of a retry message). */
  readonly topic: string;
  /** The queue's topic: `topic`, or the group's retry topic. */
  readonly queueTopic: string;
  readonly queueId: number;
  readonly queueOffset: number;
  /** Commit-log offset of the message, bytes. */
  readonly commitLogOffset: number;
  /** When it was popped (or its invisible time last changed), ms since the epoch. */
  readonly popTime: number;
  /** How long it stays invisible from `popTime`, ms. */
  readonly invisibleTime: number;
  /** The message's reconsume count when popped (delivery attempt - 1). */
  readonly reconsumeTimes: number;
}

/** When a check point's message becomes visible again, ms since the epoch. */
export function reviveTimeOf(checkPoint: PopCheckPoint): number {
  return checkPoint.popTime + checkPoint.invisibleTime;
}

/** Key of a group's consumed offset in one queue. */
export function offsetKey(
  group: string,
  topic: string,
  queueTopic: string,
  queueId: number,
): string {
  return `${group}\u0001${topic}\u0001${queueTopic}\u0001${queueId}`;
}

/** On-disk version of the state file. */
export const POP_STATE_VERSION = 1;

interface OffsetEntry {
  readonly group: string;
  readonly topic: string;
  readonly queueTopic: string;
  readonly queueId: number;
  readonly offset: number;
}

/**
 * The pop state: per group, topic and queue the next queue offset to pop from (everything below it
 * was acked or is in flight), and the check points of the messages in flight.
 */
export class PopState {
  readonly #offsets = new Map<string, OffsetEntry>();
  readonly checkPoints = new Map<string, PopCheckPoint>();

  getOffset(group: string, topic: string, queueTopic: string, queueId: number): number | undefined {
    return this.#offsets.get(offsetKey(group, topic, queueTopic, queueId))?.offset;
  }

  setOffset(
    group: string,
    topic: string,
    queueTopic: string,
    queueId: number,
    offset: number,
  ): void {
    this.#offsets.set(offsetKey(group, topic, queueTopic, queueId), {
      group,
      topic,
      queueTopic,
      queueId,
      offset,
    });
  }

  /** The offsets of topics' own queues (not of retry topics), for status pages. */
  topicOffsets(): { group: string; topic: string; queueId: number; offset: number }[] {
    const out: { group: string; topic: string; queueId: number; offset: number }[] = [];
    for (const entry of this.#offsets.values()) {
      if (entry.queueTopic === entry.topic)
        out.push({
          group: entry.group,
          topic: entry.topic,
          queueId: entry.queueId,
          offset: entry.offset,
        });
    }
    return out;
  }

  /** Offsets held, for tests and metrics. */
  get offsetCount(): number {
    return this.#offsets.size;
  }

  /** The state as JSON text (the file `config/popState.json`). */
  toJSON(): string {
    return JSON.stringify({
      version: POP_STATE_VERSION,
      offsets: [...this.#offsets.values()],
      checkPoints: [...this.checkPoints.values()],
    });
  }

  /**
   * Parses a state file.
   * @throws PopError CORRUPT_STATE naming what is wrong.
   */
  static fromJSON(text: string, path: string): PopState {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new PopError("CORRUPT_STATE", `${path} is not JSON`, { cause: error });
    }
    const root = data as { version?: unknown; offsets?: unknown; checkPoints?: unknown } | null;
    if (root === null || typeof root !== "object" || root.version !== POP_STATE_VERSION) {
      throw new PopError("CORRUPT_STATE", `${path}: expected {"version":${POP_STATE_VERSION},...}`);
    }
    if (!Array.isArray(root.offsets) || !Array.isArray(root.checkPoints)) {
      throw new PopError("CORRUPT_STATE", `${path}: "offsets" and "checkPoints" must be arrays`);
    }
    const state = new PopState();
    for (const entry of root.offsets as unknown[]) {
      const offset = checkOffsetEntry(entry, path);
      state.setOffset(offset.group, offset.topic, offset.queueTopic, offset.queueId, offset.offset);
    }
    for (const entry of root.checkPoints as unknown[]) {
      const checkPoint = checkCheckPoint(entry, path);
      state.checkPoints.set(checkPoint.handle, checkPoint);
    }
    return state;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object";
}

function requireFields(
  entry: unknown,
  strings: readonly string[],
  integers: readonly string[],
  path: string,
  what: string,
): Record<string, unknown> {
  if (!isRecord(entry)) throw new PopError("CORRUPT_STATE", `${path}: ${what} is not an object`);
  for (const name of strings) {
    if (typeof entry[name] !== "string")
      throw new PopError("CORRUPT_STATE", `${path}: ${what}.${name} must be a string`);
  }
  for (const name of integers) {
    if (!Number.isSafeInteger(entry[name]))
      throw new PopError("CORRUPT_STATE", `${path}: ${what}.${name} must be an integer`);
  }
  return entry;
}

function checkOffsetEntry(entry: unknown, path: string): OffsetEntry {
  const e = requireFields(
    entry,
    ["group", "topic", "queueTopic"],
    ["queueId", "offset"],
    path,
    "offset entry",
  );
  return e as unknown as OffsetEntry;
}

function checkCheckPoint(entry: unknown, path: string): PopCheckPoint {
  const e = requireFields(
    entry,
    ["handle", "group", "topic", "queueTopic"],
    ["queueId", "queueOffset", "commitLogOffset", "popTime", "invisibleTime", "reconsumeTimes"],
    path,
    "check point",
  );
  return {
    handle: e.handle as string,
    group: e.group as string,
    topic: e.topic as string,
    queueTopic: e.queueTopic as string,
    queueId: e.queueId as number,
    queueOffset: e.queueOffset as number,
    commitLogOffset: e.commitLogOffset as number,
    popTime: e.popTime as number,
    invisibleTime: e.invisibleTime as number,
    reconsumeTimes: e.reconsumeTimes as number,
  };
}
