/*
 * A compressed RegisterBrokerBody (RegisterBrokerBody.encode(true) of the Java broker, sent with
 * `compressed=true`): one zlib stream (Java's DeflaterOutputStream) of
 *
 *   int32 n, DataVersion JSON[n]                    {"counter":N,"stateVersion":0,"timestamp":T}
 *   int32 topicCount
 *   topicCount × ( int32 n, TopicConfig.encode()[n] )
 *                        "<topicName> <read> <write> <perm> <filterType>[ <attributes JSON>]"
 *   int32 n, filterServerList JSON[n]               ["ip:port", ...]
 *   (RocketMQ 5 brokers) int32 mappingCount, mappingCount × ( int32 n, TopicQueueMappingInfo JSON[n] )
 *
 * all integers big-endian. TopicConfig.encode() carries no topicSysFlag: it reads as 0. Some senders
 * deflate the JSON body instead; a stream whose first byte is `{` is read as that JSON.
 */
import { inflateSync } from "node:zlib";
import { HeaderFieldError } from "../remoting-error.js";

/** Inflated bytes at most (a zip bomb gets an error, not the memory). */
export const MAX_INFLATED_BODY_BYTES = 64 * 1024 * 1024;
/** Topics in one registration at most. */
export const MAX_REGISTERED_TOPICS = 1_000_000;

/** What the compressed form carries, before validation. */
export interface CompressedRegisterBody {
  /** The parsed DataVersion JSON. */
  readonly dataVersion: unknown;
  /** name → queues and perm; topicSysFlag is not in this form. */
  readonly topics: {
    readonly name: string;
    readonly readQueueNums: number;
    readonly writeQueueNums: number;
    readonly perm: number;
  }[];
}

/**
 * Inflates a compressed register body. Returns the JSON text when the sender deflated JSON, else the
 * decoded binary form. @throws HeaderFieldError("body") when it is not zlib or is cut short.
 */
export function inflateRegisterBody(body: Buffer): string | CompressedRegisterBody {
  let data: Buffer;
  try {
    data = inflateSync(body, { maxOutputLength: MAX_INFLATED_BODY_BYTES });
  } catch (error) {
    throw new HeaderFieldError(
      "body",
      `body: compressed=true but the body does not inflate: ${(error as Error).message}`,
    );
  }
  if (data[0] === 0x7b) return data.toString("utf8");
  const reader = new Reader(data);
  const dataVersion = parseJson(reader.string(), "DataVersion");
  const count = reader.int();
  if (count > MAX_REGISTERED_TOPICS)
    throw new HeaderFieldError("body", `body: more than ${MAX_REGISTERED_TOPICS} topics`);
  const topics: CompressedRegisterBody["topics"][number][] = [];
  for (let index = 0; index < count; index++) topics.push(parseTopicLine(reader.string()));
  parseJson(reader.string(), "filterServerList");
  return { dataVersion, topics };
}

/** TopicConfig.encode(): space-separated name, readQueueNums, writeQueueNums, perm, topicFilterType, attributes. */
function parseTopicLine(line: string): CompressedRegisterBody["topics"][number] {
  const parts = line.split(" ");
  const numbers = parts
    .slice(1, 4)
    .map((part) => (/^\d{1,9}$/.test(part) ? Number(part) : Number.NaN));
  const [readQueueNums, writeQueueNums, perm] = numbers as [number, number, number];
  if (parts.length < 5 || numbers.some((value) => Number.isNaN(value))) {
    throw new HeaderFieldError(
      "body",
      `body: bad topic entry ${JSON.stringify(line.slice(0, 200))}`,
    );
  }
  return { name: parts[0] as string, readQueueNums, writeQueueNums, perm };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HeaderFieldError("body", `body: the compressed ${what} is not JSON`);
  }
}

/** Length-prefixed reads over the inflated bytes, each checked against what is left. */
class Reader {
  readonly #data: Buffer;
  #position = 0;

  constructor(data: Buffer) {
    this.#data = data;
  }

  int(): number {
    if (this.#position + 4 > this.#data.length)
      throw new HeaderFieldError("body", "body: the compressed body ends early");
    const value = this.#data.readInt32BE(this.#position);
    this.#position += 4;
    if (value < 0)
      throw new HeaderFieldError(
        "body",
        `body: negative length or count ${value} in the compressed body`,
      );
    return value;
  }

  string(): string {
    const length = this.int();
    if (this.#position + length > this.#data.length)
      throw new HeaderFieldError("body", "body: the compressed body ends early");
    const text = this.#data.toString("utf8", this.#position, this.#position + length);
    this.#position += length;
    return text;
  }
}
