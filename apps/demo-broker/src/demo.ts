import { MessageStore } from "@store/commitlog";
import type { Logger } from "pino";
import type { DemoConfig } from "./config.js";

/** Positions of the commit log at one moment, absolute offsets in bytes. */
export interface PositionSnapshot {
  readonly step: string;
  readonly wrote: number;
  readonly committed: number;
  readonly flushed: number;
  readonly files: number;
}

export interface DemoReport {
  readonly flushDiskType: string;
  readonly transientStorePoolEnable: boolean;
  readonly recovery: string;
  readonly appended: number;
  readonly readBack: number;
  readonly positions: readonly PositionSnapshot[];
}

function snapshot(store: MessageStore, step: string): PositionSnapshot {
  const queue = store.commitLog.mappedFileQueue;
  // committed = in the file (page cache): page-cache mode stages a tick's appends and writes them at
  // the end of the tick; pool mode writes on the commit service's schedule.
  const last = queue.getLastMappedFile();
  const committed = last === null ? 0 : last.fileFromOffset + last.committedPosition;
  return { step, wrote: queue.getMaxWrotePosition(), committed, flushed: queue.flushedWhere, files: queue.mappedFiles.length };
}

/**
 * Until the broker lands: opens the store with the configured flush strategy, appends
 * `demoMessages` messages, reads them back through the consume queue, and reports the commit log's
 * wrote / committed / flushed positions along the way.
 */
export async function runDemo(config: DemoConfig, logger: Logger): Promise<DemoReport> {
  const { brokerName: _b, listenPort: _l, namesrvPort: _n, httpPort: _h, demoMessages, ...storeConfig } = config;
  const store = await MessageStore.open(storeConfig, { logger });
  const positions: PositionSnapshot[] = [snapshot(store, "opened")];
  try {
    const topic = "DemoTopic";
    const base = store.getMaxOffsetInQueue(topic, 0);
    const put = (i: number) => store.putMessage({ topic, body: Buffer.from(`demo message ${base + i}`), tags: "demo", keys: `key-${base + i}` });
    // The first put waits for the first segment file; the others then append synchronously, so the
    // "appended" row shows them written but not yet committed (staged, or in the pool buffer).
    const puts = demoMessages > 0 ? [await put(0)] : [];
    const pending = [];
    for (let i = 1; i < demoMessages; i++) pending.push(put(i));
    positions.push(snapshot(store, "appended"));
    const results = [...puts, ...(await Promise.all(pending))];
    const failed = results.filter((r) => r.status !== "PUT_OK");
    if (failed.length > 0) throw new Error(`${failed.length} puts failed, first: ${failed[0]?.status} ${failed[0]?.reason ?? ""}`);
    positions.push(snapshot(store, "acknowledged"));
    let readBack = 0;
    for (let offset = base; readBack < demoMessages; ) {
      const got = await store.getMessage("demo-group", topic, 0, offset, 32);
      if (got.status !== "FOUND") {
        await new Promise((resolve) => setTimeout(resolve, 5)); // the dispatcher is still indexing
        continue;
      }
      readBack += got.messages.length;
      offset = got.nextBeginOffset;
    }
    positions.push(snapshot(store, "read back"));
    await store.shutdown();
    positions.push(snapshot(store, "shut down"));
    return {
      flushDiskType: config.flushDiskType,
      transientStorePoolEnable: config.transientStorePoolEnable,
      recovery: store.recovery.mode,
      appended: demoMessages,
      readBack,
      positions,
    };
  } finally {
    await store.shutdown();
  }
}

/** The report as a few lines for a terminal. */
export function formatReport(report: DemoReport): string {
  const lines = [
    `flushDiskType=${report.flushDiskType} transientStorePoolEnable=${report.transientStorePoolEnable} recovery=${report.recovery}`,
    `appended ${report.appended} messages, read back ${report.readBack}`,
    "step          wrote      committed  flushed    files",
    ...report.positions.map((p) => `${p.step.padEnd(13)} ${String(p.wrote).padEnd(10)} ${String(p.committed).padEnd(10)} ${String(p.flushed).padEnd(10)} ${p.files}`),
  ];
  return lines.join("\n");
}
