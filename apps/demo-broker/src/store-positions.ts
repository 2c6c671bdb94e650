import type { MessageStore } from "@store/commitlog";

/** The commit log's positions at one moment: absolute offsets and lags, bytes. */
export interface StoragePositions {
  /** End of the appended data. */
  readonly wrote: number;
  /** End of the data in the file (OS page cache): below `wrote` by what a pool buffer still holds. */
  readonly committed: number;
  /** End of the fdatasync'd data. */
  readonly flushed: number;
  /** wrote − committed: acknowledged (pool mode) but only in process memory. */
  readonly commitLag: number;
  /** committed − flushed: in the page cache but not yet on disk. */
  readonly flushLag: number;
  /** First offset still stored; 0 when the log is empty. */
  readonly minOffset: number;
  /** Commit-log bytes not yet indexed into consume queues. */
  readonly dispatchLag: number;
}

/**
 * Reads the positions through the store's public getters. In pool mode the committed position is the
 * queue's `committedWhere` (moved by the commit service); in page-cache mode appends reach the file
 * within the tick, so it is the last file's committed position.
 */
export function storagePositions(store: MessageStore): StoragePositions {
  const queue = store.commitLog.mappedFileQueue;
  const wrote = queue.getMaxWrotePosition();
  const last = queue.getLastMappedFile();
  const inLastFile = last === null ? 0 : last.fileFromOffset + last.committedPosition;
  const inFile = store.config.transientStorePoolEnable ? queue.committedWhere : inLastFile;
  const committed = Math.min(wrote, inFile);
  const flushed = Math.min(committed, queue.flushedWhere);
  return {
    wrote,
    committed,
    flushed,
    commitLag: wrote - committed,
    flushLag: committed - flushed,
    minOffset: Math.max(0, store.getMinPhyOffset()),
    dispatchLag: store.dispatchBehindBytes(),
  };
}

/** A topic as the store knows it: its consume queues and how many messages they hold. */
export interface TopicStatus {
  readonly topic: string;
  readonly queues: number;
  /** Messages still stored (sum over queues of max − min offset). */
  readonly messages: number;
  /** Sum over queues of the max offset: every message ever stored. */
  readonly maxOffset: number;
}

/** A consumer group's progress on a topic. */
export interface ConsumerGroupStatus {
  readonly group: string;
  readonly topic: string;
  /** Messages stored but not yet consumed (sum over queues of max offset − consumer offset). */
  readonly lag: number;
}

/** Every topic with a consume queue, by name, at most `limit` (the rest are counted by the caller). */
export function storeTopics(store: MessageStore, limit = 1000): TopicStatus[] {
  const topics: TopicStatus[] = [];
  for (const topic of [...store.consumeQueues.topics()].sort().slice(0, limit)) {
    let messages = 0;
    let maxOffset = 0;
    const queueIds = store.consumeQueues.queueIds(topic);
    for (const queueId of queueIds) {
      const max = store.getMaxOffsetInQueue(topic, queueId);
      messages += max - store.getMinOffsetInQueue(topic, queueId);
      maxOffset += max;
    }
    topics.push({ topic, queues: queueIds.length, messages, maxOffset });
  }
  return topics;
}
