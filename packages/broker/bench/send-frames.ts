// SEND_MESSAGE_V2 frames for the load generator and the fixed SEND response of the baseline servers.
// Opaques go into a space-padded slot (JSON allows whitespace before a number), so a frame is built
// once and only its digits change per request.

/** Width of the opaque slot: int32 digits. */
const OPAQUE_WIDTH = 10;
const SLOT = " ".repeat(OPAQUE_WIDTH);
const OPAQUE_KEY = Buffer.from('"opaque":');
const CODE_KEY = Buffer.from('"code":');

/** A frame (length prefix included) and where its opaque digits go. */
export interface FrameTemplate {
  readonly frame: Buffer;
  readonly opaqueAt: number;
}

function template(header: string, body: Buffer | null): FrameTemplate {
  const headerBytes = Buffer.from(header, "utf8");
  const bodyLength = body?.length ?? 0;
  const frame = Buffer.alloc(8 + headerBytes.length + bodyLength);
  frame.writeInt32BE(4 + headerBytes.length + bodyLength, 0);
  frame.writeInt32BE(headerBytes.length, 4);
  headerBytes.copy(frame, 8);
  body?.copy(frame, 8 + headerBytes.length);
  return { frame, opaqueAt: 8 + headerBytes.indexOf(SLOT) };
}

/**
 * A SEND_MESSAGE_V2 (310) request as ali-ons writes it (research §3.2, §9: keys a..k, numbers and
 * booleans as JSON values), with a `bodySize`-byte body, for queue `queueId` of topic BenchTopic.
 */
export function sendRequestTemplate(bodySize: number, queueId: number): FrameTemplate {
  const extFields =
    `{"a":"PID_BENCH","b":"BenchTopic","c":"TBW102","d":4,"e":${queueId},"f":0,"g":${Date.now()},"h":0,` +
    `"i":"TAGS\\u0001TagA\\u0002KEYS\\u0001key-${queueId}\\u0002WAIT\\u0001true\\u0002","j":0,"k":false}`;
  const header = `{"code":310,"language":"JAVA","opaque":${SLOT},"flag":0,"version":121,"extFields":${extFields}}`;
  const body = Buffer.alloc(bodySize);
  for (let i = 0; i < bodySize; i++) body[i] = 0x61 + ((i * 7 + queueId) % 26);
  return template(header, body);
}

/** The fixed SUCCESS answer of the baseline servers (the Java broker's SEND response shape). */
export function sendResponseTemplate(): FrameTemplate {
  const header =
    `{"code":0,"language":"JAVA","version":401,"opaque":${SLOT},"flag":1,"remark":null,` +
    `"extFields":{"msgId":"7F00000100002A9F0000000000000000","queueId":"0","queueOffset":"0"},"serializeTypeCurrentRPC":"JSON"}`;
  return template(header, null);
}

/** Writes `opaque` (≥ 0) right-aligned into the slot of `frame`. */
export function stampOpaque(frame: Buffer, at: number, opaque: number): void {
  let value = opaque;
  for (let i = at + OPAQUE_WIDTH - 1; i >= at; i--) {
    frame[i] = value === 0 && i !== at + OPAQUE_WIDTH - 1 ? 0x20 : 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
}

/** Reads the integer after `key` in `frame[start, end)`, skipping spaces; NaN when absent. */
function readNumberAfter(frame: Buffer, key: Buffer, start: number, end: number): number {
  let at = frame.indexOf(key, start);
  if (at < 0 || at >= end) return Number.NaN;
  at += key.length;
  while (frame[at] === 0x20) at++;
  const negative = frame[at] === 0x2d;
  if (negative) at++;
  let value = 0;
  for (
    let digit = frame[at]! - 0x30;
    at < end && digit >= 0 && digit <= 9;
    digit = frame[++at]! - 0x30
  )
    value = value * 10 + digit;
  return negative ? -value : value;
}

/**
 * `code` and `opaque` of a JSON response frame held in `frame[start, end)` (after the length prefix),
 * by scanning for their keys: the generator's own cheap decoding, so it stays faster than the servers.
 */
export function readResponseHead(
  frame: Buffer,
  start: number,
  end: number,
): { code: number; opaque: number } {
  const headerEnd = start + 4 + (frame.readUInt32BE(start) & 0xffffff);
  return {
    code: readNumberAfter(frame, CODE_KEY, start + 4, headerEnd),
    opaque: readNumberAfter(frame, OPAQUE_KEY, start + 4, Math.min(end, headerEnd)),
  };
}
