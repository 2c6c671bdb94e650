// putMessage throughput of the MessageStore for 100 B, 1 KiB and 4 KiB bodies in each flush strategy
// (SYNC_FLUSH with 64 concurrent writers), against a raw fs.writeSync baseline measured in the same
// run (and the same writes into sparse files), and against the ceiling of the codec and I/O alone
// (pipelineBound); and recovery speed (MB of log scanned per second). `pnpm bench` (BENCH_QUICK=1:
// short run; BENCH_ONLY=1024, 1024:pool, 4096:bound, recovery...: only the matching cases).
import { writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import type { BenchRow } from "@store/bench-kit";
import { makeBenchDir, mbPerSec, nowMs, percentile, quickMode, rawWriteBaseline, removeBenchDir, report } from "@store/bench-kit";
import type { MessageStoreConfigInput } from "@store/commitlog";
import { MessageEncoder, MessageStore } from "@store/commitlog";
import { TransientStorePool, copyBytes } from "@store/mapped-file";
import { pino } from "pino";

const MIB = 1024 * 1024;
const FILE_SIZE = 128 * MIB;
const ASYNC_LOG_BYTES = (quickMode() ? 128 : 512) * MIB;
const SYNC_MESSAGES = quickMode() ? 20_000 : 100_000;
const SYNC_WRITERS = 64;
const RECOVERY_LOG_BYTES = (quickMode() ? 256 : 1024) * MIB;
const IN_FLIGHT = 4096;
const logger = pino({ level: "silent" });

type Strategy = "ASYNC_FLUSH" | "ASYNC_FLUSH+pool" | "SYNC_FLUSH";

function configFor(dir: string, strategy: Strategy): MessageStoreConfigInput {
  return {
    storePathRootDir: dir,
    mappedFileSizeCommitLog: FILE_SIZE,
    flushDiskType: strategy === "SYNC_FLUSH" ? "SYNC_FLUSH" : "ASYNC_FLUSH",
    transientStorePoolEnable: strategy === "ASYNC_FLUSH+pool",
    transientStorePoolSize: 3,
    cleanResourceInterval: 3_600_000,
  };
}

/** Bodies from a ring, so the copies are not of one cache-hot buffer. */
function bodies(size: number): Buffer[] {
  return Array.from({ length: 64 }, (_, i) => Buffer.alloc(size, (i % 250) + 1));
}

/** Opens a store and waits until its first files exist (allocation is not what is measured). */
async function openWarm(dir: string, strategy: Strategy): Promise<MessageStore> {
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
    const store = await openWarm(dir, strategy);
    const ring = bodies(bodySize);
    const startOffset = store.getMaxPhyOffset();
    const started = nowMs();
    let count = 0;
    while (store.commitLog.mappedFileQueue.getMaxWrotePosition() - startOffset < ASYNC_LOG_BYTES) {
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < IN_FLIGHT; i++) batch.push(store.putMessage({ topic: "Bench", body: ring[count++ % ring.length] as Buffer }));
      await Promise.all(batch);
      // Let I/O completions run between batches, as a server's socket callbacks do. Otherwise the
      // loop resumes on microtasks only, and the commit, flush and dispatch services (which wait on
      // I/O) run only once it ends: the disk work then follows the puts instead of overlapping them.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await flushAll(store);
    const ms = nowMs() - started;
    const bytes = store.commitLog.mappedFileQueue.flushedWhere - startOffset;
    // Not part of the time: how much of the log the consume queues had yet to index when it stopped.
    const dispatchLagMiB = store.dispatchBehindBytes() / MIB;
    await store.shutdown();
    return { strategy, body: bodySize, writers: "-", msgsPerSec: count / (ms / 1000), logMBps: mbPerSec(bytes, ms), dispatchLagMiB };
  } finally {
    await removeBenchDir(dir);
  }
}

/**
 * The same run's ceiling for the pool design: what the codec and the I/O alone reach, with none of
 * the store's bookkeeping. Messages are encoded by the public MessageEncoder (CRC included) and
 * copied into file-sized buffers; each batch of 4096 is written out as the store commits (parallel
 * writes of 1 MiB or more, at most eight) and each full file gets one fdatasync. No queue offsets,
 * results, promises per put, dispatch or services.
 */
async function pipelineBound(bodySize: number): Promise<BenchRow> {
  const dir = await makeBenchDir();
  try {
    const encoder = new MessageEncoder({ storeHost: "127.0.0.1:10911" });
    const pool = new TransientStorePool(3, FILE_SIZE, { sharedMemory: true }); // shared and warmed at init(), as the store's
    pool.init();
    const buffers = Array.from({ length: 3 }, () => pool.borrowBuffer() as Buffer);
    const ring = bodies(bodySize);
    const started = nowMs();
    let total = 0;
    let count = 0;
    const synced: Promise<void>[] = [];
    for (let index = 0; total < ASYNC_LOG_BYTES; index++) {
      const handle = await open(join(dir, String(index).padStart(20, "0")), "w+");
      await handle.truncate(FILE_SIZE); // sparse, as the ASYNC default
      const buffer = buffers[index % buffers.length] as Buffer;
      const commits: Promise<unknown>[] = [];
      let position = 0;
      let full = false;
      while (!full && total < ASYNC_LOG_BYTES) {
        const from = position;
        for (let i = 0; i < IN_FLIGHT; i++) {
          const encoded = encoder.encode({ topic: "Bench", body: ring[count % ring.length] as Buffer }, Date.now());
          if (encoded.status !== "PUT_OK") throw new Error(encoded.reason);
          if (position + encoded.record.length > FILE_SIZE) {
            full = true;
            break;
          }
          copyBytes(buffer, encoded.record, position, pool.sharedMemory);
          position += encoded.record.length;
          count++;
        }
        total += position - from;
        // Written as the store's commit writes: parallel writes of 1 MiB or more, at most eight.
        const chunk = Math.max(MIB, Math.ceil((position - from) / 8));
        for (let at = from; at < position; at += chunk) commits.push(handle.write(buffer, at, Math.min(chunk, position - at), at));
        await new Promise((resolve) => setImmediate(resolve));
      }
      synced.push(Promise.all(commits).then(async () => {
        await handle.datasync();
        await handle.close();
      }));
    }
    await Promise.all(synced);
    const ms = nowMs() - started;
    return { strategy: "bound: codec + pool + I/O only", body: bodySize, writers: "-", msgsPerSec: count / (ms / 1000), logMBps: mbPerSec(total, ms) };
  } finally {
    await removeBenchDir(dir);
  }
}

async function syncCase(bodySize: number): Promise<BenchRow> {
  const dir = await makeBenchDir();
  try {
    const store = await openWarm(dir, "SYNC_FLUSH");
    const ring = bodies(bodySize);
    const latencies: number[] = [];
    const startOffset = store.getMaxPhyOffset();
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < SYNC_MESSAGES) {
        const body = ring[next++ % ring.length] as Buffer;
        const sent = nowMs();
        const result = await store.putMessage({ topic: "Bench", body });
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
    const store = await openWarm(dir, "ASYNC_FLUSH+pool");
    const ring = bodies(1024);
    let count = 0;
    while (store.getMaxPhyOffset() < RECOVERY_LOG_BYTES) {
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < IN_FLIGHT; i++) batch.push(store.putMessage({ topic: "Bench", queueId: i % 8, body: ring[count++ % ring.length] as Buffer }));
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
    rows.push({ recovery: "abnormal, full scan + re-dispatch", logMiB: logBytes / MIB, seconds: ms / 1000, logMBps: mbPerSec(logBytes, ms), secondsPerGiB: ms / 1000 / (logBytes / (1024 * MIB)) });
    await abnormal.shutdown();
    started = nowMs();
    const normal = await MessageStore.open(configFor(dir, "ASYNC_FLUSH"), { logger });
    ms = nowMs() - started;
    const scanned = Math.min(logBytes, 3 * FILE_SIZE);
    rows.push({ recovery: "normal, last 3 files", logMiB: scanned / MIB, seconds: ms / 1000, logMBps: mbPerSec(scanned, ms), secondsPerGiB: ms / 1000 / (scanned / (1024 * MIB)) });
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
  const rawSparse = rawWriteBaseline({ dir, totalBytes: ASYNC_LOG_BYTES, fileSize: FILE_SIZE, preallocation: "sparse" });
  await removeBenchDir(dir);
  const rows: BenchRow[] = [];
  const only = process.env.BENCH_ONLY; // e.g. "1024" or "1024:pool": cases whose body and name match
  const wanted = (bodySize: number, name: string): boolean => {
    if (!only) return true;
    const [body, match] = only.split(":");
    return String(bodySize) === body && (match === undefined || name.includes(match));
  };
  for (const bodySize of [100, 1024, 4096]) {
    for (const strategy of ["ASYNC_FLUSH", "ASYNC_FLUSH+pool"] as const) if (wanted(bodySize, strategy)) rows.push(await asyncCase(strategy, bodySize));
    if (wanted(bodySize, "bound")) rows.push(await pipelineBound(bodySize));
    if (wanted(bodySize, "SYNC_FLUSH")) rows.push(await syncCase(bodySize));
  }
  const withRatio = rows.map((row) => ({ ...row, ratioToRaw: (row.logMBps as number) / raw.mbPerSec, ratioToRawSparse: (row.logMBps as number) / rawSparse.mbPerSec }));
  report("MessageStore.putMessage", withRatio, { rawBaselineMBps: raw.mbPerSec, rawSparseMBps: rawSparse.mbPerSec, rawBaselineBytes: raw.bytes });
  if (!only || only === "recovery") report("MessageStore recovery", await recoveryCase());
}

await main();
