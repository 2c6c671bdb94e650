/**
 * 8-byte big-endian integers without bigint: offsets and timestamps are below 2^53, so a Number
 * split into two int32 halves is exact and avoids BigInt allocation on the hot path.
 */

const TWO_POW_32 = 4294967296;

/**
 * Writes a safe integer as a signed 64-bit big-endian value (two's complement for negatives).
 * The caller guarantees `Number.isSafeInteger(value)` and 8 writable bytes at `offset`.
 *
 * @param target - destination buffer.
 * @param offset - byte offset of the high word.
 * @param value - a safe integer.
 */
export function writeInt64BE(target: Uint8Array, offset: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  writeInt32BE(target, offset, high);
  writeInt32BE(target, offset + 4, value - high * TWO_POW_32);
}

/**
 * Writes the low 32 bits of `value` big-endian, as direct byte stores: on the hot path this is
 * several times cheaper than `Buffer#writeInt32BE`, whose argument and range checks the caller's
 * guarantees make redundant. The caller guarantees 4 writable bytes at `offset` (a store past the
 * end of a typed array is silently dropped, so the checks belong to the caller).
 */
export function writeInt32BE(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = value >>> 16;
  target[offset + 2] = value >>> 8;
  target[offset + 3] = value;
}

/**
 * Reads a signed 64-bit big-endian value as a Number. Exact for |value| <= 2^53; larger values
 * (only found in corrupt or foreign records) round to the nearest double.
 * The caller guarantees 8 readable bytes at `offset`.
 *
 * @param source - buffer to read.
 * @param offset - byte offset of the high word.
 */
export function readInt64BE(source: Buffer, offset: number): number {
  return source.readInt32BE(offset) * TWO_POW_32 + source.readUInt32BE(offset + 4);
}

/**
 * Whether `value` is an integer in the signed 32-bit range (Java `int`).
 * @param value - anything.
 */
export function isInt32(value: unknown): value is number {
  return typeof value === "number" && (value | 0) === value;
}

/**
 * Whether `value` is a safe integer (exactly representable; what an int64 field accepts here).
 * @param value - anything.
 */
export function isInt64(value: unknown): value is number {
  return Number.isSafeInteger(value);
}
