import { homedir } from "node:os";
import { join } from "node:path";
import { flushConfigSchema } from "@store/flush-services";
import { StoreError } from "@store/mapped-file";
import { z } from "zod";
import type { CommitLogErrorCode } from "./store-errors.js";

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

/**
 * Default commit-log segment size of an embedded store, bytes (64 MiB). RocketMQ's is 1 GiB
 * (`ROCKETMQ_COMMIT_LOG_FILE_SIZE`), which a SYNC_FLUSH store would zero-fill before its first put
 * returns; @store/broker keeps RocketMQ's.
 */
export const EMBEDDED_COMMIT_LOG_FILE_SIZE = 64 * MiB;

/** RocketMQ's default commit-log segment size, bytes (1 GiB), the broker's default. */
export const ROCKETMQ_COMMIT_LOG_FILE_SIZE = GiB;
const int = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * The store's settings, with RocketMQ's property names and defaults (research §0), plus the flush
 * settings of @store/flush-services. Unknown keys are rejected so a typo never silently falls back
 * to a default.
 */
export const messageStoreConfigSchema = flushConfigSchema
  .extend({
    /** Root directory: commitlog/, consumequeue/, index/, checkpoint, abort, lock. */
    storePathRootDir: z.string().min(1).default(join(homedir(), "store")),
    /** Commit-log segment size, bytes. Default 64 MiB for an embedded store (RocketMQ and the broker: 1 GiB). */
    mappedFileSizeCommitLog: int(4096, 2 * GiB).default(EMBEDDED_COMMIT_LOG_FILE_SIZE),
    /** Consume-queue file size, bytes (rounded up to a multiple of 20). */
    mappedFileSizeConsumeQueue: int(20, 2 * GiB).default(300_000 * 20),
    /** Largest message body, bytes. */
    maxMessageSize: int(10, 512 * MiB).default(4 * MiB),
    /** Verify CRCs during recovery: the body CRC, and the whole-record CRC property where present. */
    checkCRCOnRecover: z.boolean().default(true),
    /**
     * RocketMQ 5's property: end every record's properties with `__CRC32#` holding a CRC-32 of the
     * record before it (all of it but those 20 bytes), so recovery can tell a record torn or damaged
     * anywhere, not only in its body. Default true here (RocketMQ: false).
     */
    enabledAppendPropCRC: z.boolean().default(true),
    /**
     * RocketMQ 5's property: with checkCRCOnRecover, recovery verifies a record's whole-record CRC
     * where it has one (instead of only its body CRC). A record without one (written before, or with
     * enabledAppendPropCRC off) must then end as complete records do, or recovery cuts it; RocketMQ
     * refuses such records outright. Default true here (RocketMQ: false).
     */
    forceVerifyPropCRC: z.boolean().default(true),
    /** Pool buffers (each a commit-log segment in size) when transientStorePoolEnable. */
    transientStorePoolSize: int(1, 64).default(5),
    /** Fail a roll-over at once when the pool has no free buffer, instead of writing without one. */
    fastFailIfNoBufferInStorePool: z.boolean().default(false),
    /**
     * How new segments are sized on disk. Default: "zero-fill" under SYNC_FLUSH (no block allocation
     * inside the group commit's fdatasync, so a steady p99), "sparse" under ASYNC_FLUSH (half the disk
     * writes, so pre-allocation keeps ahead of a fast writer; see the README).
     */
    preallocation: z.enum(["zero-fill", "sparse"]).optional(),
    /**
     * Load each commit-log segment made ahead into the OS page cache while it waits (RocketMQ's
     * property; we read a sparse file's holes instead of writing zeros), so the puts' writes into it
     * only copy. Costs a background pass per segment and keeps the segments ahead in memory.
     */
    warmMapedFileEnable: z.boolean().default(false),
    /** Consume-queue flush period, ms. */
    flushIntervalConsumeQueue: int(1, 2_147_483_647).default(1000),
    /** Dirty consume-queue pages before a periodic flush. */
    flushConsumeQueueLeastPages: int(0, 1 << 30).default(2),
    /** Consume queues are fully flushed (and the checkpoint written) at least this often, ms. */
    flushConsumeQueueThoroughInterval: int(0, 2_147_483_647).default(60_000),
    /** Commit-log files older than this are deleted, hours. */
    fileReservedTime: int(0, 24 * 365 * 10).default(72),
    /** Hours of the day (`;`-separated, "00".."23") when expired files are deleted. */
    deleteWhen: z
      .string()
      .regex(/^(\d{1,2})(;\d{1,2})*$/)
      .default("04"),
    /** Disk usage (percent) past which expired files are deleted at any hour, oldest first. */
    diskMaxUsedSpaceRatio: int(10, 95).default(75),
    /** Cleanup check period, ms. */
    cleanResourceInterval: int(100, 2_147_483_647).default(10_000),
    /** Pause between two file deletions, ms. */
    deleteCommitLogFilesInterval: int(0, 60_000).default(100),
    /** A file still held by a reader is deleted by force after this long, ms. */
    destroyMapedFileIntervalForcibly: int(0, 2_147_483_647).default(120_000),
    /**
     * Keep the message index (`index/`): every key of a message's KEYS property and its UNIQ_KEY,
     * for queryMessage (RocketMQ's messageIndexEnable).
     */
    messageIndexEnable: z.boolean().default(true),
    /**
     * Hash slots per index file (RocketMQ's default). The file being written keeps its slots in
     * memory: 4 bytes each, 20 MB at the default. Changing it makes existing index files unreadable:
     * delete `index/` and the store indexes the log again at the next open.
     */
    maxHashSlotNum: int(1, 20_000_000).default(5_000_000),
    /**
     * Entries (keys) per index file before another is started (RocketMQ's default, 20 bytes each:
     * up to 400 MB per file, written as keys arrive). Changing it has the same effect as maxHashSlotNum.
     */
    maxIndexNum: int(2, 100_000_000).default(20_000_000),
    /** Messages a queryMessage returns at most, whatever it asks for. */
    maxMsgsNumBatch: int(1, 10_000).default(64),
    /** maxNum of a query by unique key (the broker's QUERY_MESSAGE with `_UNIQUE_KEY_QUERY`). */
    defaultQueryMaxNum: int(1, 10_000).default(32),
    /** This broker's address `ip:port`, written into every record and message id. */
    storeHost: z
      .string()
      .regex(
        /^(\[[0-9a-fA-F.:]+\]|[0-9a-fA-F.:]+):\d{1,5}$/,
        "expected ip:port (IPv6 as [addr]:port)",
      )
      .default("127.0.0.1:10911"),
  })
  .strict();

/** The config `MessageStore.open` accepts: any subset of the keys, RocketMQ's names. */
export type MessageStoreConfigInput = z.input<typeof messageStoreConfigSchema>;
/** A validated store config with every default filled in (see `parseMessageStoreConfig`). */
export type MessageStoreConfig = Omit<
  z.output<typeof messageStoreConfigSchema>,
  "preallocation"
> & {
  readonly preallocation: "zero-fill" | "sparse";
};

/**
 * Validates a store config and fills in defaults.
 * @throws StoreError INVALID_CONFIG naming each bad key and what was expected.
 */
export function parseMessageStoreConfig(input: unknown = {}): MessageStoreConfig {
  const result = messageStoreConfigSchema.safeParse(input);
  if (result.success) {
    const config = result.data;
    return {
      ...config,
      preallocation:
        config.preallocation ?? (config.flushDiskType === "SYNC_FLUSH" ? "zero-fill" : "sparse"),
    };
  }
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join(".") || "(config)";
    if (issue.code === "unrecognized_keys") return `unknown key(s) ${issue.keys.join(", ")}`;
    return `${key}: ${issue.message}`;
  });
  throw new StoreError<CommitLogErrorCode>(
    "INVALID_CONFIG",
    `invalid store config: ${problems.join("; ")}`,
    { cause: result.error },
  );
}
