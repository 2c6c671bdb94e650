/** Told each unit of a run, in log order (see AppendedUnits.takeFrom). */
export type AppendedUnitVisitor = (
  physicalOffset: number,
  size: number,
  topic: string,
  queueId: number,
  queueOffset: number,
  tagsCode: number,
  storeTimestamp: number,
  sysFlag: number,
) => void;

/** Units held at most; a put that finds the ring full is not recorded (the dispatcher reads it from the log). */
export const APPENDED_UNITS_CAPACITY = 65_536;

/**
 * What the commit log appended, in log order, as the consume-queue units the dispatcher needs:
 * physical offset, size, topic and queue, queue offset, tagsCode, store time, sysFlag. The dispatcher
 * takes its units from here instead of reading every record back from the file and parsing it; that
 * read was a second copy of the whole log through memory, beside the commit's own.
 *
 * Only an optimisation: a unit that is not here (a batch, a delayed message, a put that found the ring
 * full, anything after a restart) is read from the log as before. The dispatcher uses a unit only when
 * it starts exactly at its `reputFromOffset`, so a gap can never skip a record. Held in typed arrays
 * (a ring), so a put allocates nothing here.
 */
export class AppendedUnits {
  readonly capacity: number;
  readonly #physicalOffset: Float64Array;
  readonly #queueOffset: Float64Array;
  readonly #tagsCode: Float64Array;
  readonly #storeTimestamp: Float64Array;
  readonly #size: Int32Array;
  readonly #queueId: Int32Array;
  readonly #sysFlag: Int32Array;
  readonly #topic: (string | undefined)[];
  #head = 0;
  #length = 0;

  constructor(capacity = APPENDED_UNITS_CAPACITY) {
    this.capacity = capacity;
    this.#physicalOffset = new Float64Array(capacity);
    this.#queueOffset = new Float64Array(capacity);
    this.#tagsCode = new Float64Array(capacity);
    this.#storeTimestamp = new Float64Array(capacity);
    this.#size = new Int32Array(capacity);
    this.#queueId = new Int32Array(capacity);
    this.#sysFlag = new Int32Array(capacity);
    this.#topic = new Array<string | undefined>(capacity).fill(undefined);
  }

  /** Units held. */
  get length(): number {
    return this.#length;
  }

  /** Records an appended message; does nothing when the ring is full. */
  push(physicalOffset: number, size: number, topic: string, queueId: number, queueOffset: number, tagsCode: number, storeTimestamp: number, sysFlag: number): void {
    if (this.#length === this.capacity) return;
    const at = (this.#head + this.#length) % this.capacity;
    this.#physicalOffset[at] = physicalOffset;
    this.#size[at] = size;
    this.#topic[at] = topic;
    this.#queueId[at] = queueId;
    this.#queueOffset[at] = queueOffset;
    this.#tagsCode[at] = tagsCode;
    this.#storeTimestamp[at] = storeTimestamp;
    this.#sysFlag[at] = sysFlag;
    this.#length++;
  }

  /** Forgets every unit that starts before `offset` (dispatched already, from here or from the log). */
  dropBefore(offset: number): void {
    while (this.#length > 0 && (this.#physicalOffset[this.#head] as number) < offset) this.#shift();
  }

  /** Forgets everything (the log was cut or reset). */
  clear(): void {
    while (this.#length > 0) this.#shift();
  }

  /**
   * Removes the units that run back to back from `offset` and end at or before `limit`, at most `max`
   * of them, telling `visit` each in order (no object per unit). None when the first unit held does
   * not start at `offset`.
   * @returns the offset just past the last unit taken (`offset` when none).
   */
  takeFrom(offset: number, limit: number, max: number, visit: AppendedUnitVisitor): number {
    let next = offset;
    for (let taken = 0; this.#length > 0 && taken < max; taken++) {
      const at = this.#head;
      const size = this.#size[at] as number;
      if (this.#physicalOffset[at] !== next || next + size > limit) break;
      visit(next, size, this.#topic[at] as string, this.#queueId[at] as number, this.#queueOffset[at] as number, this.#tagsCode[at] as number, this.#storeTimestamp[at] as number, this.#sysFlag[at] as number);
      this.#shift();
      next += size;
    }
    return next;
  }

  #shift(): void {
    this.#topic[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#length--;
  }
}
