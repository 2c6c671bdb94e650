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
  keys: string | undefined,
  uniqKey: string | undefined,
) => void;

/** Units the ring starts with room for. */
export const APPENDED_UNITS_INITIAL_CAPACITY = 4096;
/**
 * Units held at most (about 13 MiB with the topic column, the dispatch lag of ~280 MiB of 1 KiB messages);
 * a put that finds the ring full is not recorded (the dispatcher reads it from the log).
 */
export const APPENDED_UNITS_MAX_CAPACITY = 262_144;

/**
 * What the commit log appended, in log order, as the consume-queue units the dispatcher needs:
 * physical offset, size, topic and queue, queue offset, tagsCode, store time, sysFlag, and the KEYS
 * and UNIQ_KEY properties for the message index (references to the put's strings). The dispatcher
 * takes its units from here instead of reading every record back from the file and parsing it; that
 * read was a second copy of the whole log through memory, beside the commit's own.
 *
 * Only an optimisation: a unit that is not here (a batch, a delayed message, a put that found the ring
 * full, anything after a restart) is read from the log as before. The dispatcher uses a unit only when
 * it starts exactly at its `reputFromOffset`, so a gap can never skip a record. Held in typed arrays
 * (a ring that doubles while the dispatcher lags, up to `maxCapacity`), so a put allocates nothing here.
 */
export class AppendedUnits {
  readonly maxCapacity: number;
  #capacity: number;
  #physicalOffset: Float64Array;
  #queueOffset: Float64Array;
  #tagsCode: Float64Array;
  #storeTimestamp: Float64Array;
  #size: Int32Array;
  #queueId: Int32Array;
  #sysFlag: Int32Array;
  #topic: (string | undefined)[];
  #keys: (string | undefined)[];
  #uniqKey: (string | undefined)[];
  #head = 0;
  #length = 0;

  constructor(
    maxCapacity = APPENDED_UNITS_MAX_CAPACITY,
    initialCapacity = Math.min(APPENDED_UNITS_INITIAL_CAPACITY, maxCapacity),
  ) {
    this.maxCapacity = maxCapacity;
    this.#capacity = initialCapacity;
    this.#physicalOffset = new Float64Array(initialCapacity);
    this.#queueOffset = new Float64Array(initialCapacity);
    this.#tagsCode = new Float64Array(initialCapacity);
    this.#storeTimestamp = new Float64Array(initialCapacity);
    this.#size = new Int32Array(initialCapacity);
    this.#queueId = new Int32Array(initialCapacity);
    this.#sysFlag = new Int32Array(initialCapacity);
    this.#topic = new Array<string | undefined>(initialCapacity).fill(undefined);
    this.#keys = new Array<string | undefined>(initialCapacity).fill(undefined);
    this.#uniqKey = new Array<string | undefined>(initialCapacity).fill(undefined);
  }

  /** Room now (grows up to `maxCapacity`). */
  get capacity(): number {
    return this.#capacity;
  }

  /** Units held. */
  get length(): number {
    return this.#length;
  }

  /** Records an appended message; does nothing when the ring is full. */
  push(
    physicalOffset: number,
    size: number,
    topic: string,
    queueId: number,
    queueOffset: number,
    tagsCode: number,
    storeTimestamp: number,
    sysFlag: number,
    keys?: string,
    uniqKey?: string,
  ): void {
    if (this.#length === this.#capacity && !this.#grow()) return;
    const at = (this.#head + this.#length) % this.#capacity;
    this.#physicalOffset[at] = physicalOffset;
    this.#size[at] = size;
    this.#topic[at] = topic;
    this.#queueId[at] = queueId;
    this.#queueOffset[at] = queueOffset;
    this.#tagsCode[at] = tagsCode;
    this.#storeTimestamp[at] = storeTimestamp;
    this.#sysFlag[at] = sysFlag;
    this.#keys[at] = keys;
    this.#uniqKey[at] = uniqKey;
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
      visit(
        next,
        size,
        this.#topic[at] as string,
        this.#queueId[at] as number,
        this.#queueOffset[at] as number,
        this.#tagsCode[at] as number,
        this.#storeTimestamp[at] as number,
        this.#sysFlag[at] as number,
        this.#keys[at],
        this.#uniqKey[at],
      );
      this.#shift();
      next += size;
    }
    return next;
  }

  /** Doubles the ring (units keep their order, from index 0); false at `maxCapacity`. */
  #grow(): boolean {
    if (this.#capacity >= this.maxCapacity) return false;
    const capacity = Math.min(this.#capacity * 2, this.maxCapacity);
    const unwrap = <T extends Float64Array | Int32Array>(from: T, to: T): T => {
      const tail = from.subarray(this.#head);
      to.set(tail);
      to.set(from.subarray(0, this.#head), tail.length);
      return to;
    };
    this.#physicalOffset = unwrap(this.#physicalOffset, new Float64Array(capacity));
    this.#queueOffset = unwrap(this.#queueOffset, new Float64Array(capacity));
    this.#tagsCode = unwrap(this.#tagsCode, new Float64Array(capacity));
    this.#storeTimestamp = unwrap(this.#storeTimestamp, new Float64Array(capacity));
    this.#size = unwrap(this.#size, new Int32Array(capacity));
    this.#queueId = unwrap(this.#queueId, new Int32Array(capacity));
    this.#sysFlag = unwrap(this.#sysFlag, new Int32Array(capacity));
    this.#topic = this.#unwrapStrings(this.#topic, capacity);
    this.#keys = this.#unwrapStrings(this.#keys, capacity);
    this.#uniqKey = this.#unwrapStrings(this.#uniqKey, capacity);
    this.#head = 0;
    this.#capacity = capacity;
    return true;
  }

  #unwrapStrings(from: (string | undefined)[], capacity: number): (string | undefined)[] {
    const to = new Array<string | undefined>(capacity).fill(undefined);
    for (let i = 0; i < this.#length; i++) to[i] = from[(this.#head + i) % this.#capacity];
    return to;
  }

  #shift(): void {
    this.#topic[this.#head] = undefined;
    this.#keys[this.#head] = undefined;
    this.#uniqKey[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#capacity;
    this.#length--;
  }
}
