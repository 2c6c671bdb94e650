/**
 * Reference counting for a file that readers may still use while it is being deleted
 * (RocketMQ's ReferenceResource). The creator holds the first reference; `shutdown` drops it, and the
 * resource is cleaned up when the last holder releases, or by force after `intervalForciblyMs`.
 */
export abstract class ReferenceResource {
  #refCount = 1;
  #available = true;
  #cleanupOver = false;
  #firstShutdownTimestamp = 0;

  /** Takes a reference; false once the resource is shut down. */
  hold(): boolean {
    if (this.#available) {
      if (this.#refCount++ > 0) return true;
      this.#refCount--;
    }
    return false;
  }

  /** Drops a reference; the last one cleans the resource up. */
  release(): void {
    const value = --this.#refCount;
    if (value > 0) return;
    this.#cleanupOver = this.cleanup(value);
  }

  /** False once shutdown has begun: no new holders. */
  isAvailable(): boolean {
    return this.#available;
  }

  /** Whether the file was shut down and the last hold on it released, so its resources are freed. */
  isCleanupOver(): boolean {
    return this.#refCount <= 0 && this.#cleanupOver;
  }

  /** Current reference count (the creator's included). */
  get refCount(): number {
    return this.#refCount;
  }

  /**
   * Stops new holders and drops the creator's reference. Called again after `intervalForciblyMs`,
   * it forces the count down so cleanup happens even if a holder never releases.
   */
  shutdown(intervalForciblyMs: number): void {
    if (this.#available) {
      this.#available = false;
      this.#firstShutdownTimestamp = Date.now();
      this.release();
    } else if (
      this.#refCount > 0 &&
      Date.now() - this.#firstShutdownTimestamp >= intervalForciblyMs
    ) {
      this.#refCount = -1000 - this.#refCount;
      this.release();
    }
  }

  /** Frees what the resource owns; returns whether cleanup is complete. */
  protected abstract cleanup(currentRef: number): boolean;
}
