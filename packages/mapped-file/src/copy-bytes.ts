/**
 * Bulk copies into buffers that may be backed by shared memory (the transient pool's buffers are
 * SharedArrayBuffers, so a worker can read them).
 *
 * V8 copies into or out of shared memory with relaxed atomic stores: a word at a time when source
 * and destination are aligned alike (mod 8), otherwise a byte at a time. Records are packed with no
 * padding, so most bodies land misaligned and copy byte by byte. `Buffer#fill` with a buffer value is
 * a single memcpy whatever the alignment, at a fixed cost per call, so it wins from a few hundred
 * bytes (`pnpm bench copy` measures it; the README has the figures).
 */

/** From this many bytes a copy into shared memory goes through `Buffer#fill`. */
export const FILL_COPY_MIN_BYTES = 256;

/**
 * Copies all of `source` into `target` at `position` (the caller guarantees room), as
 * `target.set(source, position)` does, but without the byte-at-a-time path for a misaligned copy
 * into shared memory. From {@link FILL_COPY_MIN_BYTES} it copies into shared memory with one memcpy,
 * aligned or not: telling the alignment costs more (the `byteOffset` and `buffer` getters) than the
 * one aligned copy in eight saves. `source` must not overlap the destination range (it is for
 * copying into space nobody has written yet, as an append does).
 *
 * @param shared - whether `target` is backed by a SharedArrayBuffer. Hot paths pass what they
 *   know (a pool's `sharedMemory`): reading `target.buffer` costs tens of nanoseconds a call.
 * @returns the position just past the copied bytes.
 */
export function copyBytes(target: Buffer, source: Uint8Array, position: number, shared = target.buffer instanceof SharedArrayBuffer): number {
  const length = source.length;
  if (shared && length >= FILL_COPY_MIN_BYTES) target.fill(source, position, position + length);
  else target.set(source, position);
  return position + length;
}
