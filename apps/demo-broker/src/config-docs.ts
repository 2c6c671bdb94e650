/** How `--help` and the README describe one config key. */
export interface KeyDoc {
  /** Unit of a number ("ms", "bytes", ...), or "" for none. */
  readonly unit: string;
  readonly description: string;
  /** Shown instead of the schema's default where that depends on other keys or the machine. */
  readonly defaultText?: string;
}

/**
 * The unit of every number key (and of the few text keys that have one), for `--help` and the README.
 * Keys, defaults, validation and descriptions come from the schemas (@store/broker's
 * `brokerConfigSchema`, which composes @store/commitlog's store keys, plus the app's ports); a test
 * checks that every number key of the demo's schema has its unit here.
 */
export const KEY_UNITS: Readonly<Record<string, string>> = {
  storePathRootDir: "path",
  listenPort: "port",
  namesrvPort: "port",
  httpPort: "port",
  grpcPort: "port",
  brokerId: "",
  brokerIP1: "IPv4",
  namesrvAddr: "host:port;...",
  storeHost: "ip:port",
  aclFilePath: "path",
  defaultTopicQueueNums: "queues",
  waitTimeMillsInSendQueue: "ms",
  osPageCacheBusyTimeOutMills: "ms",
  sendThreadPoolQueueCapacity: "puts",
  shortPollingTimeMills: "ms",
  maxHeldPullRequests: "pulls",
  maxReconsumeTimes: "deliveries",
  messageDelayLevel: "durations",
  flushConsumerOffsetInterval: "ms",
  flushDelayOffsetInterval: "ms",
  serverChannelMaxIdleTimeSeconds: "s",
  clientChannelMaxIdleTime: "ms",
  rebalanceLockMaxLiveTime: "ms",
  registerNameServerPeriod: "ms",
  registerBrokerTimeoutMills: "ms",
  transientStorePoolSize: "buffers",
  mappedFileSizeCommitLog: "bytes",
  mappedFileSizeConsumeQueue: "bytes",
  maxMessageSize: "bytes",
  flushIntervalCommitLog: "ms",
  flushCommitLogLeastPages: "4 KiB pages",
  flushCommitLogThoroughInterval: "ms",
  commitIntervalCommitLog: "ms",
  commitCommitLogLeastPages: "4 KiB pages",
  commitCommitLogThoroughInterval: "ms",
  syncFlushTimeout: "ms",
  groupCommitIntervalMs: "ms",
  serviceJoinTimeMs: "ms",
  flushIntervalConsumeQueue: "ms",
  flushConsumeQueueLeastPages: "4 KiB pages",
  flushConsumeQueueThoroughInterval: "ms",
  fileReservedTime: "hours",
  deleteWhen: "hours of day",
  diskMaxUsedSpaceRatio: "%",
  cleanResourceInterval: "ms",
  deleteCommitLogFilesInterval: "ms",
  destroyMapedFileIntervalForcibly: "ms",
  maxHashSlotNum: "slots",
  maxIndexNum: "keys",
  maxMsgsNumBatch: "messages",
  defaultQueryMaxNum: "messages",
};

/** Defaults that depend on other keys, in words. */
export const DEFAULT_TEXTS: Readonly<Record<string, string>> = {
  preallocation: "zero-fill under SYNC_FLUSH, sparse otherwise",
  storeHost: "brokerIP1:listenPort",
  namesrvAddr: "none (the embedded one only)",
};

/** A description without a leading "<unit>; " (the unit is shown on its own). */
export function describeWithoutUnit(description: string, unit: string): string {
  return unit !== "" && description.startsWith(`${unit}; `)
    ? description.slice(unit.length + 2)
    : description;
}
