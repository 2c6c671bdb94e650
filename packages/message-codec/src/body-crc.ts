/**
 * Fills in the BODYCRC of every message record in `buffer[from, to)`, and then its whole-record CRC
 * property when it has one: what a put leaves for later when checksums are computed off the main
 * thread (see BodyCrcWorker). Blank (end-of-file) records end the walk; a batch record whose CRCs are
 * already there gets the same values again.
 *
 * Self-contained on purpose (no imports, no outer names, literal layout constants): its source text
 * also runs in the checksum worker, with `fillPropertiesCrc` passed in. The constants are checked
 * against message-format.ts by a test.
 *
 * @param buffer - the bytes; `from` must be where a record starts.
 * @param from - first byte of the range.
 * @param to - just past the range; must end on a record boundary.
 * @param crc32 - `zlib.crc32`.
 * @param fillPropertiesCrc - record-crc.ts's, or none to leave CRC properties as they are.
 * @returns the number of message records filled.
 * @throws Error when the range does not hold whole, well-formed records.
 */
export function fillBodyCrcs(
  buffer: Uint8Array,
  from: number,
  to: number,
  crc32: (data: Uint8Array) => number,
  fillPropertiesCrc?: (buffer: Uint8Array, at: number, size: number, crc: (data: Uint8Array) => number) => boolean,
): number {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let at = from;
  let count = 0;
  while (at < to) {
    if (to - at < 8) throw new Error(`body CRC: a partial record at ${at} (range ends at ${to})`);
    const size = view.getInt32(at);
    const magic = view.getUint32(at + 4);
    if (magic === 0xcbd43194) return count; // BLANK_MAGIC_CODE: the rest of the file is empty
    if (magic !== 0xdaa320a7 || size < 91 || at + size > to) {
      throw new Error(`body CRC: no whole message record at ${at} (size ${size}, magic 0x${magic.toString(16)}, range ends at ${to})`);
    }
    const sysFlag = view.getInt32(at + 36);
    // bodyLengthPosition: born host 8 or 20 bytes (SYSFLAG_BORNHOST_V6 0x10), store host 8 or 20 (SYSFLAG_STOREHOST_V6 0x20).
    const bodyLengthAt = at + 84 + (sysFlag & 0x10 ? 12 : 0) + (sysFlag & 0x20 ? 12 : 0);
    const bodyLength = view.getInt32(bodyLengthAt);
    if (bodyLength < 0 || bodyLengthAt + 4 + bodyLength > at + size) throw new Error(`body CRC: body of ${bodyLength} bytes overruns the record at ${at}`);
    view.setInt32(at + 8, crc32(buffer.subarray(bodyLengthAt + 4, bodyLengthAt + 4 + bodyLength)) & 0x7fffffff);
    fillPropertiesCrc?.(buffer, at, size, crc32);
    at += size;
    count++;
  }
  return count;
}
