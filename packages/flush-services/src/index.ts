export { ServiceThread, JOIN_TIME_MS } from "./service-thread.js";
export type { ServiceThreadOptions } from "./service-thread.js";
export { GroupCommitRequest } from "./group-commit-request.js";
export { GroupCommitService, GROUP_COMMIT_JOIN_TIME_MS } from "./group-commit-service.js";
export type { GroupCommitServiceOptions } from "./group-commit-service.js";
export { FlushDiskWatcher } from "./flush-disk-watcher.js";
export {
  FlushRealTimeService,
  FLUSH_REAL_TIME_JOIN_TIME_MS,
  RETRY_TIMES_OVER,
} from "./flush-real-time-service.js";
export type { FlushRealTimeServiceOptions } from "./flush-real-time-service.js";
export { CommitRealTimeService } from "./commit-real-time-service.js";
export type { CommitRealTimeServiceOptions } from "./commit-real-time-service.js";
export { FlushManager } from "./flush-manager.js";
export type { FlushManagerOptions } from "./flush-manager.js";
export { flushConfigSchema, parseFlushConfig, TIMER_DELAY_MAX_MS } from "./flush-config.js";
export type { FlushConfig, FlushConfigInput } from "./flush-config.js";
export type {
  FlushDiskType,
  FlushServicesError,
  FlushServicesErrorCode,
  FlushStatus,
  FlushedCallback,
  Wakeable,
} from "./types.js";
