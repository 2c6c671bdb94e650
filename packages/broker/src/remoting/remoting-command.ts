/*
 * One RocketMQ remoting frame (big-endian):
 *
 *   frame  = length:int32 headerInfo:int32 header:byte[headerLength] body:byte[length - 4 - headerLength]
 *   length = 4 + headerLength + bodyLength            (it does not count itself)
 *   headerInfo = serializeType:byte(high 8 bits) headerLength:uint24
 *   serializeType 0 = JSON (the default; ali-ons reads headerInfo unmasked, so JSON keeps the high byte 0),
 *                 1 = ROCKETMQ (binary, see rocketmq-header.ts); a response uses its request's type
 *
 *   JSON header, request:  {"code":310,"language":"JAVA","opaque":15,"flag":0,"version":121,
 *                           "remark":?,"extFields":{"a":"PID","e":0,"k":false,...}}
 *   JSON header, response: {"code":0,"language":"JAVA","version":401,"opaque":15,"flag":1,
 *                           "remark":null,"extFields":{...},"serializeTypeCurrentRPC":"JSON"}
 *
 *   flag bit 0 (1) = RESPONSE, bit 1 (2) = ONEWAY. A response echoes its request's opaque.
 *   extFields values arrive as strings, numbers or booleans (ali-ons keeps JS types); decoding turns
 *   them all into strings, as Java clients send them, and drops nulls.
 *
 * Only this module and the frame decoder touch frame bytes.
 */
import { RemotingError } from "./remoting-error.js";
import { decodeBinaryHeader, encodeBinaryHeader } from "./rocketmq-header.js";

/** flag bit: this command is a response. */
export const FLAG_RESPONSE = 1;
/** flag bit: the sender expects no response. */
export const FLAG_ONEWAY = 2;
/** serializeType in the high byte of headerInfo. */
export const SERIALIZE_TYPE_JSON = 0;
/** serializeType ROCKETMQ: a binary header (RocketMQSerializable). */
export const SERIALIZE_TYPE_ROCKETMQ = 1;
/** The `version` we put in our headers (RocketMQ 4.9.x's MQVersion). */
export const REMOTING_VERSION = 401;

/** headerInfo keeps the header length in 24 bits. */
const MAX_HEADER_LENGTH = 0xffffff;

/** How a header is serialized: JSON (0) or RocketMQ's binary layout (1). */
export type SerializeType = typeof SERIALIZE_TYPE_JSON | typeof SERIALIZE_TYPE_ROCKETMQ;

/** Header fields of a command, all values strings as Java sends them. */
export type ExtFields = Record<string, string>;

/** The fields of a `RemotingCommand` (RocketMQ's remoting header plus body). */
export interface RemotingCommandInit {
  readonly code: number;
  readonly opaque?: number;
  readonly flag?: number;
  readonly remark?: string | null;
  readonly extFields?: ExtFields;
  readonly body?: Buffer | null;
  readonly language?: string;
  readonly version?: number;
  /** Header serialization when encoded; default JSON. */
  readonly serializeType?: SerializeType;
}

/** A request or a response of the RocketMQ remoting protocol (RemotingCommand.java). */
export class RemotingCommand {
  readonly code: number;
  readonly language: string;
  readonly version: number;
  readonly opaque: number;
  readonly flag: number;
  readonly remark: string | null;
  readonly extFields: ExtFields;
  readonly body: Buffer | null;
  /** The header serialization this command arrived in, or will be encoded in. */
  readonly serializeType: SerializeType;

  constructor(init: RemotingCommandInit) {
    this.code = init.code;
    this.language = init.language ?? "JAVA";
    this.version = init.version ?? REMOTING_VERSION;
    this.opaque = init.opaque ?? 0;
    this.flag = init.flag ?? 0;
    this.remark = init.remark ?? null;
    this.extFields = init.extFields ?? {};
    this.body = init.body ?? null;
    this.serializeType = init.serializeType ?? SERIALIZE_TYPE_JSON;
  }

  /** A request (flag 0, or ONEWAY) with the given opaque. */
  static request(
    code: number,
    opaque: number,
    extFields: ExtFields = {},
    body: Buffer | null = null,
    oneway = false,
  ): RemotingCommand {
    return new RemotingCommand({ code, opaque, extFields, body, flag: oneway ? FLAG_ONEWAY : 0 });
  }

  /** The response to `request`: RESPONSE flag set, its opaque echoed, in its serialize type. */
  static response(
    request: RemotingCommand,
    code: number,
    remark: string | null = null,
    extFields: ExtFields = {},
    body: Buffer | null = null,
  ): RemotingCommand {
    const { opaque, serializeType } = request;
    return new RemotingCommand({
      code,
      opaque,
      flag: FLAG_RESPONSE,
      remark,
      extFields,
      body,
      serializeType,
    });
  }

  /** This command with another opaque and extra flag bits (a client numbering its requests). */
  withOpaque(opaque: number, extraFlag = 0): RemotingCommand {
    return new RemotingCommand({ ...this.#init(), opaque, flag: this.flag | extraFlag });
  }

  #init(): RemotingCommandInit {
    const { code, language, version, opaque, flag, remark, extFields, body, serializeType } = this;
    return { code, language, version, opaque, flag, remark, extFields, body, serializeType };
  }

  get isResponse(): boolean {
    return (this.flag & FLAG_RESPONSE) !== 0;
  }

  get isOneway(): boolean {
    return (this.flag & FLAG_ONEWAY) !== 0;
  }

  /**
   * The whole frame, length prefix included, in this command's serialize type.
   * @throws RemotingError BAD_FRAME when a binary header cannot hold a field (code beyond int16), or
   * the header exceeds 16 MiB.
   */
  encode(): Buffer {
    const header =
      this.serializeType === SERIALIZE_TYPE_ROCKETMQ
        ? encodeBinaryHeader(this)
        : Buffer.from(JSON.stringify(this.#headerJson()), "utf8");
    if (header.length > MAX_HEADER_LENGTH) {
      throw new RemotingError(
        "BAD_FRAME",
        `a header of ${header.length} bytes exceeds the frame's ${MAX_HEADER_LENGTH}`,
      );
    }
    const bodyLength = this.body?.length ?? 0;
    const frame = Buffer.allocUnsafe(8 + header.length + bodyLength);
    frame.writeInt32BE(4 + header.length + bodyLength, 0);
    frame.writeUInt32BE(((this.serializeType << 24) | header.length) >>> 0, 4);
    header.copy(frame, 8);
    if (this.body !== null) this.body.copy(frame, 8 + header.length);
    return frame;
  }

  #headerJson(): Record<string, unknown> {
    if (this.isResponse) {
      return {
        code: this.code,
        language: this.language,
        version: this.version,
        opaque: this.opaque,
        flag: this.flag,
        remark: this.remark,
        extFields: this.extFields,
        serializeTypeCurrentRPC: "JSON",
      };
    }
    const json: Record<string, unknown> = {
      code: this.code,
      language: this.language,
      opaque: this.opaque,
      flag: this.flag,
      version: this.version,
    };
    if (this.remark !== null) json.remark = this.remark;
    json.extFields = this.extFields;
    return json;
  }

  /**
   * Decodes one frame without its 4-byte length prefix (headerInfo, header, body), as the frame decoder
   * hands it over. The body is a view of `frame`, not a copy.
   * @throws RemotingError BAD_FRAME when the header length or the header itself is invalid.
   */
  static decode(frame: Buffer): RemotingCommand {
    if (frame.length < 4)
      throw new RemotingError("BAD_FRAME", `a frame of ${frame.length} bytes has no header length`);
    const headerInfo = frame.readUInt32BE(0);
    const serializeType = headerInfo >>> 24;
    const headerLength = headerInfo & 0xffffff;
    if (headerLength > frame.length - 4) {
      throw new RemotingError(
        "BAD_FRAME",
        `header length ${headerLength} exceeds the frame's ${frame.length - 4} bytes`,
      );
    }
    const body = frame.length > 4 + headerLength ? frame.subarray(4 + headerLength) : null;
    if (serializeType === SERIALIZE_TYPE_JSON)
      return decodeJsonHeader(frame.toString("utf8", 4, 4 + headerLength), body);
    if (serializeType === SERIALIZE_TYPE_ROCKETMQ) {
      return new RemotingCommand({
        ...decodeBinaryHeader(frame, 4, 4 + headerLength),
        body,
        serializeType,
      });
    }
    throw new RemotingError(
      "BAD_FRAME",
      `serialize type ${serializeType} is not supported (0 JSON or 1 ROCKETMQ)`,
    );
  }
}

/** The hot path: one object shape for every decoded command, extFields normalised in place. */
function decodeJsonHeader(text: string, body: Buffer | null): RemotingCommand {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new RemotingError("BAD_FRAME", `the header is not JSON: ${(cause as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new RemotingError("BAD_FRAME", "the header is not a JSON object");
  }
  const header = json as Record<string, unknown>;
  return new RemotingCommand({
    code: headerInt(header.code, "code"),
    language: typeof header.language === "string" ? header.language : "JAVA",
    version: header.version === undefined ? 0 : headerInt(header.version, "version"),
    opaque: headerInt(header.opaque, "opaque"),
    flag: header.flag === undefined ? 0 : headerInt(header.flag, "flag"),
    remark: typeof header.remark === "string" ? header.remark : null,
    extFields: extFieldsOf(header.extFields),
    body,
    serializeType: SERIALIZE_TYPE_JSON,
  });
}

/** code, opaque, flag and version are Java ints. */
function headerInt(value: unknown, name: string): number {
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < -(2 ** 31) ||
    value > 2 ** 31 - 1
  ) {
    const got = truncated(JSON.stringify(value) ?? String(value));
    throw new RemotingError("BAD_FRAME", `header field ${name} must be an int32, got ${got}`);
  }
  return value | 0; // -0 becomes 0
}

function truncated(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

/**
 * The parsed extFields object itself, its numbers and booleans turned into strings and its nulls
 * dropped (a fresh object from JSON.parse, so changing it in place is safe and saves a copy).
 */
function extFieldsOf(value: unknown): ExtFields {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new RemotingError("BAD_FRAME", "header field extFields must be an object");
  }
  const fields = value as Record<string, unknown>;
  for (const key in fields) {
    const field = fields[key];
    if (typeof field === "string") continue;
    if (typeof field === "number" || typeof field === "boolean") fields[key] = String(field);
    else if (field === null) delete fields[key];
    else
      throw new RemotingError(
        "BAD_FRAME",
        `extFields.${truncated(key)} must be a string, number or boolean`,
      );
  }
  return fields as ExtFields;
}
