// The least a reader of remoting frames can do: split a byte stream at the length prefixes. Used by
// the load generator and the baseline servers (not the product's FrameDecoder, so the baselines owe
// nothing to the code under test).

/** Called with each whole frame: `data[start, end)` holds headerInfo, header and body. */
export type OnFrame = (data: Buffer, start: number, end: number) => void;

export class FrameSplitter {
  #pending: Buffer | null = null;

  constructor(private readonly onFrame: OnFrame) {}

  push(chunk: Buffer): void {
    let data = chunk;
    if (this.#pending !== null) {
      data = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    let at = 0;
    while (data.length - at >= 4) {
      const length = data.readInt32BE(at);
      if (length < 4 || length > 64 * 1024 * 1024) throw new Error(`bad frame length ${length}`);
      if (data.length - at - 4 < length) break;
      this.onFrame(data, at + 4, at + 4 + length);
      at += 4 + length;
    }
    if (at < data.length) this.#pending = data.subarray(at);
  }
}
