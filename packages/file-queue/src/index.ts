export { MappedFileQueue } from "./mapped-file-queue.js";
export type { MappedFileQueueOptions } from "./mapped-file-queue.js";
export { AllocateMappedFileService } from "./allocate-mapped-file-service.js";
export type { AllocateMappedFileServiceOptions } from "./allocate-mapped-file-service.js";
export type { Flushable } from "./flushable.js";
export { FileQueueError } from "./file-queue-error.js";
export type { FileQueueErrorCode } from "./file-queue-error.js";
