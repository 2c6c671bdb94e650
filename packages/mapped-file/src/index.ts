export { MappedFile } from "./mapped-file.js";
export type { MappedFileOptions } from "./mapped-file.js";
export { TEMP_FILE_SUFFIX, ensureDirectory } from "./segment-file.js";
export type { Preallocation } from "./segment-file.js";
export { TransientStorePool } from "./transient-store-pool.js";
export { SelectMappedBufferResult } from "./select-mapped-buffer-result.js";
export type { Releasable } from "./select-mapped-buffer-result.js";
export { ReferenceResource } from "./reference-resource.js";
export { unknownErrorResult } from "./append-message.js";
export type {
  AppendMessageCallback,
  AppendMessageResult,
  AppendMessageStatus,
  AppendOutcome,
  AppendWindow,
} from "./append-message.js";
export { OS_PAGE_SIZE, fileNameToOffset, offsetToFileName } from "./file-name.js";
export { nodeFileIO } from "./file-io.js";
export { systemClock } from "./clock.js";
export type { Clock, ClockTimer } from "./clock.js";
export type { FileIO, FileStat } from "./file-io.js";
export { StoreError, ioError } from "./store-error.js";
export type { StoreErrorCode } from "./store-error.js";
