import {
  BLANK_RECORD_LENGTH,
  decodeMessage,
  KEY_SEPARATOR,
  MESSAGE_MAGIC_CODE,
  PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
  recordMagicCode,
  recordTotalSize,
} from "@store/message-codec";
import type { CommitLog } from "./commit-log.js";
import type { IndexService } from "./index-service.js";

/** The outcome of a query by key (RocketMQ's QueryMessageResult). */
export interface QueryMessageResult {
  /** The matching records (RocketMQ v1 layout), in commit-log order. */
  readonly messages: Buffer[];
  /** Sum of the records' lengths, bytes. */
  readonly bufferTotalSize: number;
  /** Store time of the last record the index covers, ms (0: no index yet). */
  readonly indexLastUpdateTimestamp: number;
  /** Commit-log offset up to which the index covers the log (0: no index yet). */
  readonly indexLastUpdatePhyoffset: number;
}

/** Records a query reads at most to check candidates (hash collisions cost a read each). */
export const QUERY_MAX_RECORD_READS = 1024;

/**
 * The newest `maxNum` records of `topic` whose KEYS contain `key` or whose UNIQ_KEY is `key`, stored
 * in [begin, end] (ms), returned in commit-log order. Each candidate the index names is read and
 * checked (CRCs, topic, key, store time): hash collisions and entries indexed twice never show.
 */
export async function queryMessages(
  commitLog: CommitLog,
  index: IndexService | null,
  query: {
    readonly topic: string;
    readonly key: string;
    readonly maxNum: number;
    readonly begin: number;
    readonly end: number;
  },
): Promise<QueryMessageResult> {
  const lastUpdate = index?.lastUpdate() ?? { timestamp: 0, phyOffset: 0 };
  const found: { offset: number; record: Buffer }[] = [];
  if (index !== null && query.maxNum > 0 && query.key.length > 0) {
    let reads = 0;
    for await (const offset of index.candidates(query.topic, query.key, query.begin, query.end)) {
      if (offset < commitLog.getMinOffset()) continue;
      if (++reads > QUERY_MAX_RECORD_READS) break;
      const record = await readMatching(commitLog, offset, query);
      if (record !== null) found.push({ offset, record });
      if (found.length >= query.maxNum) break;
    }
  }
  found.sort((a, b) => a.offset - b.offset);
  const messages = found.map((one) => one.record);
  return {
    messages,
    bufferTotalSize: messages.reduce((total, record) => total + record.length, 0),
    indexLastUpdateTimestamp: lastUpdate.timestamp,
    indexLastUpdatePhyoffset: lastUpdate.phyOffset,
  };
}

/** The record at `offset` when it is a sound message of the query's topic and key, stored in its range. */
async function readMatching(
  commitLog: CommitLog,
  offset: number,
  query: { topic: string; key: string; begin: number; end: number },
): Promise<Buffer | null> {
  const head = await commitLog.getMessage(offset, BLANK_RECORD_LENGTH);
  if (head === null) return null;
  head.release();
  if (
    head.buffer.length < BLANK_RECORD_LENGTH ||
    recordMagicCode(head.buffer) !== MESSAGE_MAGIC_CODE
  )
    return null;
  const size = recordTotalSize(head.buffer);
  const fileSize = commitLog.mappedFileQueue.mappedFileSize;
  if (size <= BLANK_RECORD_LENGTH || size > fileSize - (offset % fileSize)) return null;
  const data = await commitLog.getMessage(offset, size);
  if (data === null) return null;
  data.release();
  const decoded = decodeMessage(data.buffer, 0, { checkCRC: true });
  if (!decoded.ok || data.buffer.length !== size) return null;
  const message = decoded.message;
  if (message.physicalOffset !== offset || message.topic !== query.topic) return null;
  if (message.storeTimestamp < query.begin || message.storeTimestamp > query.end) return null;
  const matches =
    message.properties[PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] === query.key ||
    (message.keys?.split(KEY_SEPARATOR).includes(query.key) ?? false);
  return matches ? data.buffer : null;
}
