/**
 * What the flush and commit services drive: something with a commit position and a flush position
 * that advance one step per call. `MappedFileQueue` implements it; `@store/flush-services` depends
 * only on this interface.
 *
 * Boolean convention (the inverse of RocketMQ's): `true` means the position advanced, `false` means
 * nothing moved. Each call handles at most one segment file, so a caller that wants everything
 * committed or flushed loops while the call returns `true`.
 */
export interface Flushable {
  /**
   * Writes buffered (pool) bytes of the current commit file to the file once at least `leastPages`
   * 4 KiB pages are pending (0: a single byte). Resolves `true` if `committedWhere` advanced.
   * @throws StoreError DISK_FULL or IO_ERROR (the position does not move).
   */
  commit(leastPages: number): Promise<boolean>;
  /**
   * fdatasyncs the current flush file once at least `leastPages` 4 KiB pages are unflushed
   * (0: a single byte). Resolves `true` if `flushedWhere` advanced.
   * @throws StoreError DISK_FULL or IO_ERROR (the position does not move).
   */
  flush(leastPages: number): Promise<boolean>;
  /** Absolute offset, bytes: everything below it is in the file (the OS page cache). */
  readonly committedWhere: number;
  /** Absolute offset, bytes: everything below it has been fdatasync'd. */
  readonly flushedWhere: number;
  /** Store time of the last record covered by a full (`flush(0)`) flush, ms since the epoch; 0 before any. */
  readonly storeTimestamp: number;
}
