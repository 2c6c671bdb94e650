// putMessage throughput of the MessageStore for 100 B, 1 KiB and 4 KiB bodies in each flush strategy
// (SYNC_FLUSH with 64 concurrent writers), against a raw fs.writeSync baseline measured in the same
// run (and the same writes into sparse files), and against the ceiling of any build (the work no put
// can skip, over every core: unavoidableWork); and recovery speed (MB of log scanned per second).
// `pnpm bench` (BENCH_QUICK=1: short run; BENCH_ONLY=1024, 1024:pool, 4096:ceiling, recovery...: only
// the matching cases; BENCH_KEYS=1: every message carries a key and a UNIQ_KEY, as a Java client's
// do; BENCH_INDEX=0: messageIndexEnable false, the baseline for what the message index costs).
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { BenchRow, RawWriteResult } from "@store/bench-kit";
import {
  makeBenchDir,
  mbPerSec,
  nowMs,
  percentile,
  quickMode,
  rawWriteBaseline,
  removeBenchDir,
  report,
} from "@store/bench-kit";
import type { MessageStoreConfigInput } from "@store/commitlog";
import { MessageEncoder } from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";
import { MessageStore } from "@store/commitlog";
import { TransientStorePool } from "@store/mapped-file";
import { pino } from "pino";

const MIB = 1024 * 1024;
const FILE_SIZE = 128 * MIB;
const ASYNC_LOG_BYTES = (quickMode() ? 128 : 512) * MIB;
const SYNC_MESSAGES = quickMode() ? 20_000 : 100_000;
const SYNC_WRITERS = 64;
const RECOVERY_LOG_BYTES = (quickMode() ? 256 : 1024) * MIB;
const IN_FLIGHT = 4096;
/** The target for ASYNC_FLUSH + pool at 1 KiB: this share of the raw baseline's MB/s. */
const TARGET_RATIO = 0.6;
const logger = pino({ level: "silent" });
const WITH_KEYS = process.env.BENCH_KEYS === "1";
const INDEX_ENABLED = process.env.BENCH_INDEX !== "0";

/** A put of `body`; with BENCH_KEYS, keyed as a Java client's message is (a key and a 32-hex-digit UNIQ_KEY). */
function benchMessage(body: Buffer, n: number, queueId?: number): MessageInput {
  const message: MessageInput = {
    topic: "Bench",
    body,
    ...(queueId === undefined ? {} : { queueId }),
  };
  if (!WITH_KEYS) return message;
  return {
    ...message,
    keys: `order-${n}`,
    properties: {
      UNIQ_KEY: `AC11000100002A9F0000${n.toString(16).toUpperCase().padStart(12, "0")}`,
    },
  };
}

/** "+pool": transientStorePoolEnable; "+warm": warmMapedFileEnable (segments read into the page cache ahead). */
type Strategy =
  "ASYNC_FLUSH" | "ASYNC_FLUSH+warm" | "ASYNC_FLUSH+pool" | "ASYNC_FLUSH+pool+warm" | "SYNC_FLUSH";

function configFor(dir: string, strategy: Strategy): MessageStoreConfigInput {
  return {
    storePathRootDir: dir,
    mappedFileSizeCommitLog: FILE_SIZE,
    flushDiskType: strategy === "SYNC_FLUSH" ? "SYNC_FLUSH" : "ASYNC_FLUSH",
    transientStorePoolEnable: strategy.includes("+pool"),
    warmMapedFileEnable: strategy.endsWith("+warm"),
    transientStorePoolSize: 3,
    cleanResourceInterval: 3_600_000,
    messageIndexEnable: INDEX_ENABLED,
  };
}

/** Bodies from a ring, so the copies are not of one cache-hot buffer. */
function bodies(size: number): Buffer[] {
  return Array.from({ length: 64 }, (_, i) => Buffer.alloc(size, (i % 250) + 1));
}

/** Opens a store and waits until its first files exist (allocation is not what is measured). */
async function openReady(dir: string, strategy: Strategy): Promise<MessageStore> {
  const store = await MessageStore.open(configFor(dir, strategy), { logger });
  await store.putMessage({ topic: "Warm", body: Buffer.from("warm") });
  await new Promise((resolve) => setTimeout(resolve, 800)); // the allocator pre-creates the next file
  return store;
}

/** Everything appended made durable: commit (pool) and flush until nothing moves. */
async function flushAll(store: MessageStore): Promise<void> {
  const queue = store.commitLog.mappedFileQueue;
  while ((await queue.commit(0)) || (await queue.flush(0))) {
    // one file per call
  }
}

async function asyncCase(strategy: Strategy, bodySize: number): Promise<BenchRow> {
  const dir = await makeBenchDir();
  try {
    const store = await openReady(dir, strategy);
    const ring = bodies(bodySize);
    const startOffset = store.getMaxPhyOffset();
    const started = nowMs();
    const loopBefore = performance.eventLoopUtilization();
    const cpuBefore = process.cpuUsage();
    let count = 0;
    while (store.commitLog.mappedFileQueue.getMaxWrotePosition() - startOffset < ASYNC_LOG_BYTES) {
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < IN_FLIGHT; i++, count++)
        batch.push(store.putMessage(benchMessage(ring[count % ring.length] as Buffer, count)));
      await Promise.all(batch);
      // Let I/O completions run between batches, as a server's socket callbacks do. Otherwise the
      // loop resumes on microtasks only, and the commit, flush and dispatch services (which wait on
      // I/O) run only once it ends: the disk work then follows the puts instead of overlapping them.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await flushAll(store);
    const ms = nowMs() - started;
    // Per put: CPU time of the whole process (every thread, user and system: puts,
    // commits, flushes, dispatch), and how long the event loop was busy (wall time, so also while
    // other threads had its core).
    const cpu = process.cpuUsage(cpuBefore);
    const cpuUsPerPut = (cpu.user + cpu.system) / count;
    const loopBusyUsPerPut = (performance.eventLoopUtilization(loopBefore).active * 1000) / count;
    const bytes = store.commitLog.mappedFileQueue.flushedWhere - startOffset;
    // Not part of the time: how much of the log the consume queues had yet to index when it stopped.
    const dispatchLagMiB = store.dispatchBehindBytes() / MIB;
    await store.shutdown();
    return {
      strategy,
      body: bodySize,
      writers: "-",
      msgsPerSec: count / (ms / 1000),
      logMBps: mbPerSec(bytes, ms),
      cpuUsPerPut,
      loopBusyUsPerPut,
      dispatchLagMiB,
    };
  } finally {
    await removeBenchDir(dir);
  }
}

/** The per-message CPU work no build of the store can skip, timed one piece at a time on one core. */
interface UnavoidableWork {
  readonly bodySize: number;
  readonly recordBytes: number;
  /** CRC-32 of the body, µs. */
  readonly crcUs: number;
  /** One copy of the record into a pool buffer, µs. */
  readonly copyUs: number;
  /** The raw baseline's writes of the record's bytes (the kernel's copy into the page cache), µs. */
  readonly rawWriteUs: number;
  /** The raw baseline's whole time for the record's bytes, fdatasyncs (waits for the disk) included, µs. */
  readonly rawUs: number;
}

/**
 * Times the work every put needs whatever the design: a CRC-32 of the body, one copy of the record
 * into a pool buffer, and the raw baseline's own writes of its bytes (the time outside fdatasync:
 * the waits for the disk can overlap with other work).
 */
function unavoidableWork(bodySize: number, raw: RawWriteResult): UnavoidableWork {
  const encoder = new MessageEncoder({ storeHost: "127.0.0.1:10911" });
  const ring = bodies(bodySize);
  const records = ring.map((body) => {
    const encoded = encoder.encode({ topic: "Bench", body }, Date.now());
    if (encoded.status !== "PUT_OK") throw new Error(encoded.reason);
    return encoded.record;
  });
  const recordBytes = (records[0] as Buffer).length;
  const count = Math.floor(raw.bytes / recordBytes);
  let started = nowMs();
  for (let i = 0; i < count; i++) crc32(ring[i % ring.length] as Buffer);
  const crcMs = nowMs() - started;
  const pool = new TransientStorePool(1, FILE_SIZE); // warmed at init(), as the store's
  pool.init();
  const buffer = pool.borrowBuffer() as Buffer;
  started = nowMs();
  for (let i = 0, at = 0; i < count; i++) {
    if (at + recordBytes > buffer.length) at = 0;
    const record = records[i % records.length] as Buffer;
    buffer.set(record, at);
    at += record.length;
  }
  const copyMs = nowMs() - started;
  pool.destroy();
  const us = (ms: number): number => (ms * 1000) / count;
  return {
    bodySize,
    recordBytes,
    crcUs: us(crcMs),
    copyUs: us(copyMs),
    rawWriteUs: us((raw.seconds - raw.syncSeconds) * 1000),
    rawUs: us(raw.seconds * 1000),
  };
}

/** CPU per message that no build can skip, µs (one core's worth, summed). */
function unavoidableUs(work: UnavoidableWork): number {
  return work.crcUs + work.copyUs + work.rawWriteUs;
}

/**
 * The ceiling of any build of the store on this machine: the unavoidable work spread perfectly over
 * every core, with no queue offsets, results, promises, dispatch or services at all, and never
 * faster than the raw baseline itself (whose disk waits it also has).
 */
function ceilingRow(work: UnavoidableWork): BenchRow {
  const usPerMessage = Math.max(unavoidableUs(work) / availableParallelism(), work.rawUs);
  return {
    strategy: `ceiling: raw write + body CRC + pool copy over ${availableParallelism()} cores, nothing else`,
    body: work.bodySize,
    writers: "-",
    msgsPerSec: 1e6 / usPerMessage,
    logMBps: work.recordBytes / usPerMessage,
  };
}

/**
 * What a target ratio to the raw baseline leaves per message: at that rate each message may take
 * `cores / rate` of CPU in all; the unavoidable work takes its share, and the rest is what the put
 * path's own work (API, validation, header, queue offsets, results, dispatch, services) must fit in.
 */
function budgetRow(
  work: UnavoidableWork,
  ratio: number,
  pool: BenchRow | undefined,
  poolWarm: BenchRow | undefined,
): BenchRow {
  const rawMsgsPerSec = 1e6 / work.rawUs;
  const cpuUs = (availableParallelism() * 1e6) / (ratio * rawMsgsPerSec);
  return {
    body: work.bodySize,
    [`cpuUsPerMsgAt${ratio}`]: cpuUs,
    crcUs: work.crcUs,
    copyUs: work.copyUs,
    rawWriteUs: work.rawWriteUs,
    leftForThePutPathUs: cpuUs - unavoidableUs(work),
    poolCpuUsPerPut: pool?.cpuUsPerPut ?? "",
    poolWarmCpuUsPerPut: poolWarm?.cpuUsPerPut ?? "",
  };
}

async function syncCase(bodySize: number): Promise<BenchRow> {
  const dir = await makeBenchDir();
  try {
    const store = await openReady(dir, "SYNC_FLUSH");
    const ring = bodies(bodySize);
    const latencies: number[] = [];
    const startOffset = store.getMaxPhyOffset();
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < SYNC_MESSAGES) {
        const n = next++;
        const sent = nowMs();
        const result = await store.putMessage(benchMessage(ring[n % ring.length] as Buffer, n));
        if (result.status !== "PUT_OK") throw new Error(`put failed: ${result.status}`);
        latencies.push(nowMs() - sent);
      }
    };
    const started = nowMs();
    await Promise.all(Array.from({ length: SYNC_WRITERS }, writer));
    const ms = nowMs() - started;
    const bytes = store.getMaxPhyOffset() - startOffset;
    await store.shutdown();
    return {
      strategy: "SYNC_FLUSH",
      body: bodySize,
      writers: SYNC_WRITERS,
      msgsPerSec: SYNC_MESSAGES / (ms / 1000),
      logMBps: mbPerSec(bytes, ms),
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    };
  } finally {
    await removeBenchDir(dir);
  }
}

/** Writes ~RECOVERY_LOG_BYTES of 1 KiB messages, then times an abnormal (full-scan) recovery. */
async function recoveryCase(): Promise<BenchRow[]> {
  const dir = await makeBenchDir();
  try {
    const store = await openReady(dir, "ASYNC_FLUSH+pool");
    const ring = bodies(1024);
    let count = 0;
    while (store.getMaxPhyOffset() < RECOVERY_LOG_BYTES) {
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < IN_FLIGHT; i++, count++)
        batch.push(
          store.putMessage(benchMessage(ring[count % ring.length] as Buffer, count, i % 8)),
        );
      await Promise.all(batch);
    }
    const logBytes = store.getMaxPhyOffset();
    await store.shutdown();
    const rows: BenchRow[] = [];
    // A crash marker and a zeroed checkpoint make the next open validate every record from file 0
    // and re-dispatch them all (duplicates skipped): the worst case.
    writeFileSync(join(dir, "abort"), "");
    writeFileSync(join(dir, "checkpoint"), Buffer.alloc(4096));
    let started = nowMs();
    const abnormal = await MessageStore.open(configFor(dir, "ASYNC_FLUSH"), { logger });
    let ms = nowMs() - started;
    rows.push({
      recovery: "abnormal, full scan + re-dispatch",
      logMiB: logBytes / MIB,
      seconds: ms / 1000,
      logMBps: mbPerSec(logBytes, ms),
      secondsPerGiB: ms / 1000 / (logBytes / (1024 * MIB)),
    });
    await abnormal.shutdown();
    started = nowMs();
    const normal = await MessageStore.open(configFor(dir, "ASYNC_FLUSH"), { logger });
    ms = nowMs() - started;
    const scanned = Math.min(logBytes, 3 * FILE_SIZE);
    rows.push({
      recovery: "normal, last 3 files",
      logMiB: scanned / MIB,
      seconds: ms / 1000,
      logMBps: mbPerSec(scanned, ms),
      secondsPerGiB: ms / 1000 / (scanned / (1024 * MIB)),
    });
    await normal.shutdown();
    return rows;
  } finally {
    await removeBenchDir(dir);
  }
}

async function main(): Promise<void> {
  const dir = await makeBenchDir();
  const raw = rawWriteBaseline({ dir, totalBytes: ASYNC_LOG_BYTES, fileSize: FILE_SIZE });
  // The same writes into sparse files, as the ASYNC default lays segments out: the blocks are
  // allocated as the data reaches the disk, which on this VM's disk caps the rate well below the
  // zero-filled baseline's (research/limits.md). A second reference, not the target's baseline.
  const rawSparse = rawWriteBaseline({
    dir,
    totalBytes: ASYNC_LOG_BYTES,
    fileSize: FILE_SIZE,
    preallocation: "sparse",
  });
  await removeBenchDir(dir);
  const rows: BenchRow[] = [];
  const budgets: BenchRow[] = [];
  const only = process.env.BENCH_ONLY; // e.g. "1024" or "1024:pool": cases whose body and name match
  const wanted = (bodySize: number, name: string): boolean => {
    if (!only) return true;
    const [body, match] = only.split(":");
    return String(bodySize) === body && (match === undefined || name.includes(match));
  };
  for (const bodySize of [100, 1024, 4096]) {
    for (const strategy of [
      "ASYNC_FLUSH",
      "ASYNC_FLUSH+warm",
      "ASYNC_FLUSH+pool",
      "ASYNC_FLUSH+pool+warm",
    ] as const)
      if (wanted(bodySize, strategy)) rows.push(await asyncCase(strategy, bodySize));
    if (wanted(bodySize, "ceiling")) {
      const work = unavoidableWork(bodySize, raw);
      rows.push(ceilingRow(work));
      const measured = (strategy: Strategy): BenchRow | undefined =>
        rows.find((row) => row.body === bodySize && row.strategy === strategy);
      budgets.push(
        budgetRow(
          work,
          TARGET_RATIO,
          measured("ASYNC_FLUSH+pool"),
          measured("ASYNC_FLUSH+pool+warm"),
        ),
      );
    }
    if (wanted(bodySize, "SYNC_FLUSH")) rows.push(await syncCase(bodySize));
  }
  const withRatio = rows.map((row) => ({
    ...row,
    ratioToRaw: (row.logMBps as number) / raw.mbPerSec,
    ratioToRawSparse: (row.logMBps as number) / rawSparse.mbPerSec,
  }));
  report("MessageStore.putMessage", withRatio, {
    rawBaselineMBps: raw.mbPerSec,
    rawSparseMBps: rawSparse.mbPerSec,
    rawBaselineBytes: raw.bytes,
    messageIndexEnable: INDEX_ENABLED,
    keyedMessages: WITH_KEYS,
  });
  if (budgets.length > 0)
    report(
      `CPU per message at ${TARGET_RATIO} of raw (µs, ${availableParallelism()} cores)`,
      budgets,
    );
  if (!only || only === "recovery") report("MessageStore recovery", await recoveryCase());
}

await main();
