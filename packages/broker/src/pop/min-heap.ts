/** A binary min-heap of items ordered by a numeric key (revive and delivery times). */
export class MinHeap<T> {
  readonly #keys: number[] = [];
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** The smallest key, or undefined when empty. */
  peekKey(): number | undefined {
    return this.#keys[0];
  }

  push(key: number, item: T): void {
    this.#keys.push(key);
    this.#items.push(item);
    let index = this.#items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if ((this.#keys[parent] as number) <= key) break;
      this.#swap(index, parent);
      index = parent;
    }
  }

  /** Removes and returns the item with the smallest key. */
  pop(): T | undefined {
    const last = this.#items.length - 1;
    if (last < 0) return undefined;
    this.#swap(0, last);
    const key = this.#keys.pop();
    const item = this.#items.pop();
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < last && (this.#keys[left] as number) < (this.#keys[smallest] as number))
        smallest = left;
      if (right < last && (this.#keys[right] as number) < (this.#keys[smallest] as number))
        smallest = right;
      if (smallest === index) break;
      this.#swap(index, smallest);
      index = smallest;
    }
    return key === undefined ? undefined : item;
  }

  clear(): void {
    this.#keys.length = 0;
    this.#items.length = 0;
  }

  #swap(a: number, b: number): void {
    const key = this.#keys[a] as number;
    this.#keys[a] = this.#keys[b] as number;
    this.#keys[b] = key;
    const item = this.#items[a] as T;
    this.#items[a] = this.#items[b] as T;
    this.#items[b] = item;
  }
}
