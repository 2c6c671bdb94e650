import { StoreError } from "./store-error.js";

/** The page size RocketMQ counts flush and commit thresholds in, in bytes. */
export const OS_PAGE_SIZE = 4096;

const FILE_NAME_DIGITS = 20;

/**
 * The name of the segment file that starts at `offset`: decimal, zero-padded to 20 digits
 * (`1073741824` -> `00000000001073741824`), so names sort in offset order.
 * @throws StoreError BAD_ARGUMENT if offset is not a non-negative safe integer.
 */
export function offsetToFileName(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new StoreError(
      "BAD_ARGUMENT",
      `offset must be a non-negative safe integer, got ${offset}`,
    );
  }
  return String(offset).padStart(FILE_NAME_DIGITS, "0");
}

/**
 * The start offset a segment file's base name encodes. Any all-digit name parses (`"000"` is 0),
 * as in RocketMQ.
 * @throws StoreError BAD_FILE_NAME if the name is not all digits or exceeds 2^53.
 */
export function fileNameToOffset(baseName: string): number {
  if (!/^\d{1,20}$/.test(baseName)) {
    throw new StoreError(
      "BAD_FILE_NAME",
      `segment file name must be decimal digits, got "${baseName}"`,
    );
  }
  const offset = Number(baseName);
  if (!Number.isSafeInteger(offset)) {
    throw new StoreError("BAD_FILE_NAME", `segment file name ${baseName} is beyond 2^53`);
  }
  return offset;
}
