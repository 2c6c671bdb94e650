/*
 * RocketMQ's binary header (serializeType 1, ROCKETMQ; Java's RocketMQSerializable), big-endian:
 *
 *   header    = code:int16 language:uint8 version:int16 opaque:int32 flag:int32
 *               remarkLength:int32 remark:utf8[remarkLength]
 *               extLength:int32 extField*            (the extFields take exactly extLength bytes)
 *   extField  = keyLength:int16 key:utf8[keyLength] valueLength:int32 value:utf8[valueLength]
 *   language  = JAVA 0, CPP 1, DOTNET 2, PYTHON 3, DELPHI 4, ERLANG 5, RUBY 6, OTHER 7, HTTP 8, GO 9,
 *               PHP 10, OMS 11, RUST 12, NODE_JS 13
 *
 * A length of 0 is Java's null: an empty remark reads as none, a field with an empty value as absent
 * (Java drops it when it fills the header object), a field with an empty key is skipped.
 * Stricter than Java: every length must fit inside the header, and the header must end where its
 * extFields end (Java reads past a short header into the body).
 */
import { RemotingError } from "./remoting-error.js";

/** The fields a binary header carries (the body travels after it). */
export interface BinaryHeader {
  readonly code: number;
  readonly language: string;
  readonly version: number;
  readonly opaque: number;
  readonly flag: number;
  readonly remark: string | null;
  readonly extFields: Record<string, string>;
}

const LANGUAGES = [
  "JAVA",
  "CPP",
  "DOTNET",
  "PYTHON",
  "DELPHI",
  "ERLANG",
  "RUBY",
  "OTHER",
  "HTTP",
  "GO",
  "PHP",
  "OMS",
  "RUST",
  "NODE_JS",
];
const LANGUAGE_OTHER = 7;
/** code, language, version, opaque, flag, remark length, extFields length. */
const FIXED_LENGTH = 2 + 1 + 2 + 4 + 4 + 4 + 4;
const INT16_MIN = -0x8000;
const INT16_MAX = 0x7fff;

/**
 * Encodes a binary header.
 * @throws RemotingError BAD_FRAME when code or version does not fit an int16, or a key is over 32767 bytes.
 */
export function encodeBinaryHeader(header: BinaryHeader): Buffer {
  checkInt16("code", header.code);
  checkInt16("version", header.version);
  const remark =
    header.remark === null || header.remark === "" ? null : Buffer.from(header.remark, "utf8");
  const fields: Buffer[] = [];
  let fieldsLength = 0;
  for (const [key, value] of Object.entries(header.extFields)) {
    if (value === null || value === undefined) continue;
    const keyBytes = Buffer.from(key, "utf8");
    const valueBytes = Buffer.from(String(value), "utf8");
    if (keyBytes.length > INT16_MAX) {
      throw new RemotingError(
        "BAD_FRAME",
        `extFields key of ${keyBytes.length} bytes exceeds ${INT16_MAX}`,
      );
    }
    fields.push(keyBytes, valueBytes);
    fieldsLength += 2 + keyBytes.length + 4 + valueBytes.length;
  }
  const out = Buffer.allocUnsafe(FIXED_LENGTH + (remark?.length ?? 0) + fieldsLength);
  let at = out.writeInt16BE(header.code, 0);
  const language = LANGUAGES.indexOf(header.language);
  at = out.writeUInt8(language < 0 ? LANGUAGE_OTHER : language, at);
  at = out.writeInt16BE(header.version, at);
  at = out.writeInt32BE(header.opaque | 0, at);
  at = out.writeInt32BE(header.flag | 0, at);
  at = out.writeInt32BE(remark?.length ?? 0, at);
  if (remark !== null) at += remark.copy(out, at);
  at = out.writeInt32BE(fieldsLength, at);
  for (let i = 0; i < fields.length; i += 2) {
    const key = fields[i]!;
    const value = fields[i + 1]!;
    at = out.writeInt16BE(key.length, at);
    at += key.copy(out, at);
    at = out.writeInt32BE(value.length, at);
    at += value.copy(out, at);
  }
  return out;
}

/**
 * Decodes the binary header held in `frame[start, end)`.
 * @throws RemotingError BAD_FRAME when a length is negative or runs past the header, or bytes are left over.
 */
export function decodeBinaryHeader(frame: Buffer, start: number, end: number): BinaryHeader {
  if (end - start < FIXED_LENGTH) {
    throw new RemotingError(
      "BAD_FRAME",
      `a binary header needs at least ${FIXED_LENGTH} bytes, got ${end - start}`,
    );
  }
  const reader = new HeaderReader(frame, start, end);
  const code = reader.int16();
  const languageCode = reader.uint8();
  const version = reader.int16();
  const opaque = reader.int32();
  const flag = reader.int32();
  const remark = reader.string(reader.int32(), "remark");
  const extLength = reader.int32();
  if (extLength < 0 || extLength > reader.remaining) {
    throw new RemotingError(
      "BAD_FRAME",
      `extFields length ${extLength} is outside [0, ${reader.remaining}]`,
    );
  }
  if (extLength !== reader.remaining) {
    throw new RemotingError(
      "BAD_FRAME",
      `the binary header has ${reader.remaining - extLength} bytes after its extFields`,
    );
  }
  // No prototype: a key such as "__proto__" is an ordinary field.
  const extFields = Object.create(null) as Record<string, string>;
  while (reader.remaining > 0) {
    const key = reader.string(reader.int16(), "extFields key");
    const value = reader.string(reader.int32(), `extFields.${key ?? ""}`);
    if (key !== null && value !== null) extFields[key] = value;
  }
  const language = LANGUAGES[languageCode] ?? "OTHER";
  return { code, language, version, opaque, flag, remark, extFields };
}

function checkInt16(name: string, value: number): void {
  if (!Number.isInteger(value) || value < INT16_MIN || value > INT16_MAX) {
    throw new RemotingError("BAD_FRAME", `${name} ${value} does not fit the binary header's int16`);
  }
}

/** Bounds-checked sequential reads inside one header. */
class HeaderReader {
  readonly #frame: Buffer;
  readonly #end: number;
  #at: number;

  constructor(frame: Buffer, start: number, end: number) {
    this.#frame = frame;
    this.#at = start;
    this.#end = end;
  }

  get remaining(): number {
    return this.#end - this.#at;
  }

  uint8(): number {
    this.#need(1, "a byte");
    return this.#frame.readUInt8(this.#at++);
  }

  int16(): number {
    this.#need(2, "an int16");
    const value = this.#frame.readInt16BE(this.#at);
    this.#at += 2;
    return value;
  }

  int32(): number {
    this.#need(4, "an int32");
    const value = this.#frame.readInt32BE(this.#at);
    this.#at += 4;
    return value;
  }

  /** A UTF-8 string of `length` bytes; null for length 0. */
  string(length: number, name: string): string | null {
    if (length < 0 || length > this.remaining) {
      throw new RemotingError(
        "BAD_FRAME",
        `${name} length ${length} is outside [0, ${this.remaining}]`,
      );
    }
    if (length === 0) return null;
    const value = this.#frame.toString("utf8", this.#at, this.#at + length);
    this.#at += length;
    return value;
  }

  #need(bytes: number, what: string): void {
    if (this.remaining < bytes)
      throw new RemotingError("BAD_FRAME", `the binary header ends before ${what}`);
  }
}
