import type { CommitLog } from "./commit-log.js";
import type { ScanOptions } from "./commit-log-scanner.js";
import { SCAN_CHUNK_BYTES, scanFileRecords } from "./commit-log-scanner.js";
import type { DispatchIndex } from "./index-service.js";

/** Chunks read between two index commits (4 MiB). */
const CHUNKS_PER_COMMIT = 16;

/**
 * Feeds `index` every valid record that starts in [from, to) of the commit log, reading the log in
 * large chunks (recovery, when the durable index ends before where dispatch resumes). Files of the
 * range are read up to an invalid record, the rest of such a file skipped, as the dispatcher does.
 * @returns the commit-log bytes read.
 */
export async function indexLogRange(
  commitLog: CommitLog,
  index: DispatchIndex,
  from: number,
  to: number,
  maxRecordBytes: number,
): Promise<number> {
  const scan: ScanOptions = {
    checkCRC: false,
    readBody: false,
    chunkBytes: SCAN_CHUNK_BYTES,
    readBuffer: Buffer.allocUnsafeSlow(SCAN_CHUNK_BYTES),
    maxRecordBytes,
    dispatchOnly: true,
    withKeys: true,
  };
  const start = Math.max(from, commitLog.getMinOffset());
  let at = start;
  while (at < to) {
    const file = commitLog.mappedFileQueue.findMappedFileByOffset(at);
    if (file === null) break;
    const base = file.fileFromOffset;
    const stop = await scanFileRecords(
      file,
      at - base,
      scan,
      (unit, position) => {
        if (unit !== null && base + position < to)
          index.add(
            base + position,
            unit.size,
            unit.storeTimestamp,
            unit.topic,
            unit.sysFlag,
            unit.keys,
            unit.uniqKey,
          );
      },
      CHUNKS_PER_COMMIT,
    );
    await index.commit();
    const next = stop.reason === "END" ? base + stop.position : commitLog.rollNextFile(base);
    if (next <= at) break; // nothing more is readable
    at = next;
  }
  return Math.max(0, Math.min(at, to) - start);
}
