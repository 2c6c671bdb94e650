import {
  BLANK_MAGIC_CODE,
  BLANK_RECORD_LENGTH,
  decodeMessage,
  MESSAGE_MAGIC_CODE,
  recordMagicCode,
  recordTotalSize,
} from "@store/message-codec";
import type { DecodedMessage, DecodeFailureCode } from "@store/message-codec";
import type { CommitLog } from "./commit-log.js";

/**
 * What `MessageStore.lookMessageByOffset` found at a commit-log offset inside the readable log:
 * - MESSAGE: a valid record (CRCs checked), decoded; it is a DecodedMessage with `kind`.
 * - BLANK: the end-of-file blank record: the file's remaining `blankLength` bytes hold nothing, and
 *   the next record starts at `nextOffset`, the next file's start.
 * - INVALID: no valid record starts here: `code` says why (BAD_MAGIC: not the start of a record, or
 *   zeros; CRC_MISMATCH / SIZE_MISMATCH / BAD_FIELD: a damaged record; UNDERFLOW: cut short by the
 *   end of the readable data).
 */
export type LookMessageResult =
  | (DecodedMessage & { readonly kind: "MESSAGE" })
  | {
      readonly kind: "BLANK";
      readonly phyOffset: number;
      readonly blankLength: number;
      readonly nextOffset: number;
    }
  | {
      readonly kind: "INVALID";
      readonly phyOffset: number;
      readonly code: Exclude<DecodeFailureCode, "BLANK">;
      readonly reason: string;
    };

/**
 * Reads what starts at `phyOffset`; null when the offset lies outside the readable log
 * ([min offset, max offset)). A record may be as long as a segment: the configured body limit can be
 * raised at run time, and records accepted under it must stay readable.
 */
export async function lookMessageAt(
  commitLog: CommitLog,
  phyOffset: number,
): Promise<LookMessageResult | null> {
  const minOffset = commitLog.getMinOffset();
  if (
    !Number.isSafeInteger(phyOffset) ||
    minOffset < 0 ||
    phyOffset < minOffset ||
    phyOffset >= commitLog.getMaxOffset()
  )
    return null;
  const invalid = (
    code: Exclude<DecodeFailureCode, "BLANK">,
    reason: string,
  ): LookMessageResult => ({ kind: "INVALID", phyOffset, code, reason });
  const head = await commitLog.getMessage(phyOffset, BLANK_RECORD_LENGTH);
  if (head === null)
    return invalid("UNDERFLOW", `fewer than ${BLANK_RECORD_LENGTH} readable bytes at ${phyOffset}`);
  const size = recordTotalSize(head.buffer);
  const magic = recordMagicCode(head.buffer);
  head.release();
  if (magic === BLANK_MAGIC_CODE)
    return {
      kind: "BLANK",
      phyOffset,
      blankLength: size,
      nextOffset: commitLog.rollNextFile(phyOffset),
    };
  if (magic !== MESSAGE_MAGIC_CODE)
    return invalid("BAD_MAGIC", `magic 0x${magic.toString(16).padStart(8, "0")} at ${phyOffset}`);
  const fileSize = commitLog.mappedFileQueue.mappedFileSize;
  if (size <= BLANK_RECORD_LENGTH || size > fileSize - (phyOffset % fileSize))
    return invalid("BAD_FIELD", `TOTALSIZE ${size} at ${phyOffset} does not fit its file`);
  const data = await commitLog.getMessage(phyOffset, size);
  if (data === null)
    return invalid(
      "UNDERFLOW",
      `the record at ${phyOffset} (${size} bytes) runs past the readable data`,
    );
  data.release();
  const decoded = decodeMessage(data.buffer, 0, { checkCRC: true });
  if (!decoded.ok)
    return invalid(decoded.code === "BLANK" ? "BAD_MAGIC" : decoded.code, decoded.reason);
  return { ...decoded.message, kind: "MESSAGE" };
}
