/*
 * Splits a TCP byte stream into remoting frames:
 *
 *   stream = frame*        frame = length:int32 rest:byte[length]
 *
 * Chunks may split a frame anywhere or pack several frames; `push` returns every frame completed by
 * the chunk, each without its length prefix (what RemotingCommand.decode takes). A frame is a view
 * of the chunk when it lies inside one, else one copy.
 */
import { RemotingError } from "./remoting-error.js";

/** Limits a peer's frames must keep (RocketMQ: remotingFrameMaxLength 16 MiB). */
export interface FrameLimits {
  /** Largest `length` field accepted, bytes. */
  readonly frameMaxLength: number;
  /** Largest header accepted, bytes. */
  readonly headerMaxLength: number;
}

/** Frame limits: 16 MiB a frame (RocketMQ's `frameMaxLength`) and the header limit. */
export const DEFAULT_FRAME_LIMITS: FrameLimits = {
  frameMaxLength: 16 * 1024 * 1024,
  headerMaxLength: 64 * 1024,
};

/** Splits a TCP byte stream into remoting frames, refusing frames above its limits. */
export class FrameDecoder {
  readonly #limits: FrameLimits;
  #pending: Buffer[] = [];
  #pendingLength = 0;

  constructor(limits: FrameLimits = DEFAULT_FRAME_LIMITS) {
    this.#limits = limits;
  }

  /** Bytes buffered towards an incomplete frame. */
  get bufferedBytes(): number {
    return this.#pendingLength;
  }

  /**
   * Feeds a chunk; returns the frames it completed.
   * @throws RemotingError BAD_FRAME when a length is out of bounds; the stream cannot be resynchronised,
   * so the caller closes the connection.
   */
  push(chunk: Buffer): Buffer[] {
    let data = chunk;
    if (this.#pendingLength > 0) {
      this.#pending.push(chunk);
      this.#pendingLength += chunk.length;
      if (!this.#canComplete()) return [];
      data = Buffer.concat(this.#pending, this.#pendingLength);
      this.#pending = [];
      this.#pendingLength = 0;
    }
    const frames: Buffer[] = [];
    let offset = 0;
    while (data.length - offset >= 8) {
      const length = this.#checkedLength(data, offset);
      if (data.length - offset - 4 < length) break;
      frames.push(data.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    if (offset < data.length) {
      const rest = data.subarray(offset);
      if (rest.length >= 8) this.#checkedLength(rest, 0);
      this.#pending.push(rest);
      this.#pendingLength = rest.length;
    }
    return frames;
  }

  /** Whether the pending bytes hold at least one whole frame (checking its lengths once known). */
  #canComplete(): boolean {
    if (this.#pendingLength < 8) return false;
    const head =
      this.#pending[0]!.length >= 8 ? this.#pending[0]! : Buffer.concat(this.#pending, 8);
    return this.#pendingLength - 4 >= this.#checkedLength(head, 0);
  }

  #checkedLength(data: Buffer, offset: number): number {
    const length = data.readInt32BE(offset);
    const headerLength = data.readUInt32BE(offset + 4) & 0xffffff;
    if (length < 4 || length > this.#limits.frameMaxLength) {
      throw new RemotingError(
        "BAD_FRAME",
        `frame length ${length} is outside [4, ${this.#limits.frameMaxLength}]`,
      );
    }
    if (headerLength > this.#limits.headerMaxLength || headerLength > length - 4) {
      throw new RemotingError(
        "BAD_FRAME",
        `header length ${headerLength} exceeds ${Math.min(this.#limits.headerMaxLength, length - 4)}`,
      );
    }
    return length;
  }
}
