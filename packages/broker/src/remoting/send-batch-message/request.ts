/*
 * SEND_BATCH_MESSAGE (320) body: RocketMQ's batch encoding (MessageDecoder.encodeMessages), the
 * messages back to back, big-endian:
 *
 *   message    = totalSize:int32 magicCode:int32 bodyCRC:int32 flag:int32
 *                bodyLength:int32 body:byte[bodyLength]
 *                propertiesLength:int16 properties:byte[propertiesLength]   (UTF-8 "k\u0001v\u0002...")
 *   totalSize  = 4 + 4 + 4 + 4 + 4 + bodyLength + 2 + propertiesLength
 *
 * magicCode and bodyCRC are written as 0 by clients and ignored. The header is the 310 one
 * (send-message/request.ts).
 */

/** One message of a batch body; `body` is a view of the request body. */
export interface BatchMessage {
  readonly flag: number;
  readonly body: Buffer;
  readonly properties: string;
}

const FIXED_LENGTH = 4 + 4 + 4 + 4 + 4 + 2;

/**
 * Splits a batch body into its messages, at most `maxMessages`.
 * @returns the messages, or why the body is malformed (the caller answers MESSAGE_ILLEGAL).
 */
export function decodeBatchBody(body: Buffer | null, maxMessages: number): BatchMessage[] | string {
  if (body === null || body.length === 0) return "the batch body is empty";
  const messages: BatchMessage[] = [];
  let at = 0;
  while (at < body.length) {
    if (messages.length >= maxMessages) return `the batch has more than ${maxMessages} messages`;
    if (body.length - at < FIXED_LENGTH)
      return `message ${messages.length}: truncated header at byte ${at}`;
    const totalSize = body.readInt32BE(at);
    const flag = body.readInt32BE(at + 12);
    const bodyLength = body.readInt32BE(at + 16);
    if (bodyLength < 0 || at + 20 + bodyLength + 2 > body.length)
      return `message ${messages.length}: bodyLength ${bodyLength} exceeds the batch`;
    const propertiesAt = at + 20 + bodyLength;
    const propertiesLength = body.readInt16BE(propertiesAt);
    const end = propertiesAt + 2 + propertiesLength;
    if (propertiesLength < 0 || end > body.length)
      return `message ${messages.length}: propertiesLength ${propertiesLength} exceeds the batch`;
    if (totalSize !== end - at)
      return `message ${messages.length}: totalSize ${totalSize} does not match its ${end - at} bytes`;
    messages.push({
      flag,
      body: body.subarray(at + 20, propertiesAt),
      properties: body.toString("utf8", propertiesAt + 2, end),
    });
    at = end;
  }
  return messages;
}

/** Encodes messages as a batch body (what a client sends; used by tests and tools). */
export function encodeBatchBody(messages: readonly BatchMessage[]): Buffer {
  const parts = messages.map((message) => {
    const properties = Buffer.from(message.properties, "utf8");
    const size = FIXED_LENGTH + message.body.length + properties.length;
    const part = Buffer.alloc(size);
    part.writeInt32BE(size, 0);
    part.writeInt32BE(message.flag, 12);
    part.writeInt32BE(message.body.length, 16);
    message.body.copy(part, 20);
    part.writeInt16BE(properties.length, 20 + message.body.length);
    properties.copy(part, 22 + message.body.length);
    return part;
  });
  return Buffer.concat(parts);
}
