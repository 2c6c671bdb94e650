/** How `--help` and the README describe one config key. */
export interface KeyDoc {
  /** Unit of a number ("ms", "bytes", ...), or "" for none. */
  readonly unit: string;
  readonly description: string;
  /** Shown instead of the schema's default where that depends on the machine or the directory. */
  readonly defaultText?: string;
}

/**
 * The store's keys (`messageStoreConfigSchema` of @store/commitlog, with the flush keys of
 * @store/flush-services), as `--help` shows them. A test checks that every key of the schema is
 * described here, so a key the store adds shows up in `--help` and the README.
 */
export const STORE_KEY_DOCS: Readonly<Record<string, KeyDoc>> = {
  storePathRootDir: {
    unit: "path",
    description: "store directory (commitlog/, consumequeue/, checkpoint, abort, lock); relative to the working directory",
  },
  flushDiskType: { unit: "", description: "SYNC_FLUSH: acknowledge after fdatasync; ASYNC_FLUSH: after the write" },
  transientStorePoolEnable: { unit: "", description: "ASYNC_FLUSH: append into pooled buffers, written to the file later" },
  transientStorePoolSize: { unit: "buffers", description: "pool buffers, each one commit-log segment in size" },
  fastFailIfNoBufferInStorePool: { unit: "", description: "fail a roll-over at once when the pool has no free buffer" },
  mappedFileSizeCommitLog: { unit: "bytes", description: "commit-log segment size (RocketMQ's default is 1 GiB)" },
  mappedFileSizeConsumeQueue: { unit: "bytes", description: "consume-queue file size (20-byte units)" },
  maxMessageSize: { unit: "bytes", description: "largest message body accepted" },
  flushIntervalCommitLog: { unit: "ms", description: "ASYNC_FLUSH: pause between flush rounds" },
  flushCommitLogTimed: { unit: "", description: "ASYNC_FLUSH: sleep between rounds (true) or wake on puts (false)" },
  flushCommitLogLeastPages: { unit: "4 KiB pages", description: "ASYNC_FLUSH: dirty pages needed before a round flushes" },
  flushCommitLogThoroughInterval: { unit: "ms", description: "ASYNC_FLUSH: flush everything at least this often" },
  commitIntervalCommitLog: { unit: "ms", description: "pool: wait between commit rounds (a put wakes it early)" },
  commitCommitLogLeastPages: { unit: "4 KiB pages", description: "pool: pending pages needed before a round commits" },
  commitCommitLogThoroughInterval: { unit: "ms", description: "pool: commit everything at least this often" },
  syncFlushTimeout: { unit: "ms", description: "SYNC_FLUSH: wait for the fdatasync before FLUSH_DISK_TIMEOUT" },
  groupCommitIntervalMs: { unit: "ms", description: "SYNC_FLUSH: longest idle wait of the group commit" },
  serviceJoinTimeMs: { unit: "ms", description: "how long shutdown waits for each flush service's loop" },
  checkCRCOnRecover: { unit: "", description: "verify CRCs during recovery (body CRC; the __CRC32# property with forceVerifyPropCRC)" },
  enabledAppendPropCRC: { unit: "", description: "end every record's properties with RocketMQ 5's whole-record CRC property __CRC32#" },
  forceVerifyPropCRC: { unit: "", description: "recovery checks a record by its __CRC32# property; a record without one must end complete" },
  preallocation: {
    unit: "",
    description: "new segments: zero-fill or sparse",
    defaultText: "zero-fill under SYNC_FLUSH, sparse otherwise",
  },
  warmMapedFileEnable: { unit: "", description: "read segments made ahead into the page cache while they wait" },
  flushIntervalConsumeQueue: { unit: "ms", description: "consume-queue flush period" },
  flushConsumeQueueLeastPages: { unit: "4 KiB pages", description: "dirty consume-queue pages before a periodic flush" },
  flushConsumeQueueThoroughInterval: { unit: "ms", description: "full consume-queue flush and checkpoint at least this often" },
  fileReservedTime: { unit: "hours", description: "commit-log files older than this are deleted" },
  deleteWhen: { unit: "hours of day", description: "when expired files are deleted, e.g. 04 or 04;16" },
  diskMaxUsedSpaceRatio: { unit: "%", description: "past this disk usage expired files are deleted at any hour" },
  cleanResourceInterval: { unit: "ms", description: "expired-file check period" },
  deleteCommitLogFilesInterval: { unit: "ms", description: "pause between two file deletions" },
  destroyMapedFileIntervalForcibly: { unit: "ms", description: "a file still being read is deleted by force after this" },
  messageIndexEnable: { unit: "", description: "keep the message index (index/) of every KEYS key and UNIQ_KEY, for QUERY_MESSAGE" },
  maxHashSlotNum: { unit: "slots", description: "hash slots per index file (4 bytes each, in memory for the file being written)" },
  maxIndexNum: { unit: "keys", description: "keys per index file (20 bytes each) before another file is started" },
  maxMsgsNumBatch: { unit: "messages", description: "messages a QUERY_MESSAGE answers at most" },
  defaultQueryMaxNum: { unit: "messages", description: "maxNum of a QUERY_MESSAGE by unique key" },
  storeHost: {
    unit: "ip:port",
    description: "address written into every record and message id",
    defaultText: "brokerIP1:listenPort",
  },
};
