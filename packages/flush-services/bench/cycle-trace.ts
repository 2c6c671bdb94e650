// One group-commit cycle, traced rather than guessed: a FileIO wrapper stamps every staged write and
// fdatasync (with the absolute log offset it covers), the writers stamp their puts and the moment
// they see their ack. `summarizeCycle` prints the events between two fdatasync starts in steady state.
import { basename } from "node:path";
import type { FileIO } from "@store/mapped-file";

type TraceKind = "put" | "ack" | "write" | "fsync start" | "fsync end";

interface TraceEvent {
  readonly kind: TraceKind;
  readonly atMs: number;
  /** put / ack: the put's end offset; write: end offset written; fsync: end offset it covers. */
  readonly offset: number;
  readonly bytes: number;
  readonly tookMs: number;
}

export class CycleTrace {
  readonly events: TraceEvent[] = [];
  readonly #fileOffsets = new Map<number, number>();
  /** Per descriptor: end (absolute) of the bytes written so far. */
  readonly #writtenEnd = new Map<number, number>();

  record(kind: TraceKind, offset: number, bytes = 0, tookMs = 0, atMs = performance.now()): void {
    this.events.push({ kind, atMs, offset, bytes, tookMs });
  }

  /** `inner` with its writes and fdatasyncs recorded. */
  wrap(inner: FileIO): FileIO {
    return {
      ...inner,
      open: async (path, create) => {
        const fd = await inner.open(path, create);
        const offset = Number(basename(path));
        if (Number.isSafeInteger(offset)) this.#fileOffsets.set(fd, offset);
        return fd;
      },
      pwriteSync: (fd, buffer, offset, length, position) => {
        const start = performance.now();
        inner.pwriteSync(fd, buffer, offset, length, position);
        const end = (this.#fileOffsets.get(fd) ?? 0) + position + length;
        this.#writtenEnd.set(fd, Math.max(end, this.#writtenEnd.get(fd) ?? 0));
        this.record("write", end, length, performance.now() - start, start);
      },
      fdatasync: async (fd) => {
        const covers = this.#writtenEnd.get(fd) ?? 0;
        const start = performance.now();
        this.record("fsync start", covers, 0, 0, start);
        await inner.fdatasync(fd);
        this.record("fsync end", covers, 0, performance.now() - start);
      },
    };
  }
}

interface Line {
  readonly kind: TraceKind | "writers";
  fromMs: number;
  toMs: number;
  acks: number;
  puts: number;
  detail: string;
}

/** One line per write and fdatasync; the acks and puts between them collapse into one "writers" line. */
function collapse(events: readonly TraceEvent[], baseMs: number, coveredBefore: number): Line[] {
  const lines: Line[] = [];
  let covered = coveredBefore;
  for (const event of events) {
    const at = (event.atMs - baseMs) * 1000;
    const last = lines[lines.length - 1];
    if (event.kind === "put" || event.kind === "ack") {
      const line =
        last?.kind === "writers"
          ? last
          : { kind: "writers" as const, fromMs: at, toMs: at, acks: 0, puts: 0, detail: "" };
      if (line !== last) lines.push(line);
      line.toMs = at;
      if (event.kind === "put") line.puts++;
      else line.acks++;
      line.detail = `${line.acks} acks seen, ${line.puts} puts staged`;
      continue;
    }
    let detail = `${(event.tookMs * 1000).toFixed(0)} µs`;
    if (event.kind === "write")
      detail = `${event.bytes} B in ${(event.tookMs * 1000).toFixed(0)} µs, up to offset ${event.offset}`;
    if (event.kind === "fsync start") {
      detail = `covers up to offset ${event.offset} (${event.offset - covered} B more)`;
      covered = event.offset;
    }
    lines.push({ kind: event.kind, fromMs: at, toMs: at, acks: 0, puts: 0, detail });
  }
  return lines;
}

/**
 * The events from the start of a steady-state fdatasync to the start of the one after the next,
 * one line per run of the same kind, times in µs from the first fdatasync's start; plus how many
 * puts each of the two fdatasyncs covered.
 */
export function summarizeCycle(trace: CycleTrace): string {
  const events = trace.events;
  const starts = events.flatMap((event, index) => (event.kind === "fsync start" ? [index] : []));
  if (starts.length < 6) return "(too few fdatasyncs to trace a cycle)";
  const middle = Math.floor(starts.length / 2);
  const [first, second, third] = [starts[middle], starts[middle + 1], starts[middle + 2]] as [
    number,
    number,
    number,
  ];
  const firstStart = events[first] as TraceEvent;
  const previous = events[starts[middle - 1] as number] as TraceEvent;
  const window = events.slice(first, third + 1);
  const lines = collapse(window, firstStart.atMs, previous.offset);
  const coveredBy = (end: TraceEvent, from: number): number =>
    events.filter(
      (event) =>
        event.kind === "put" &&
        event.offset > from &&
        event.offset <= end.offset &&
        event.atMs <= end.atMs,
    ).length;
  const secondStart = events[second] as TraceEvent;
  const out = lines.map((line) => {
    const at =
      line.toMs > line.fromMs
        ? `${line.fromMs.toFixed(0)}-${line.toMs.toFixed(0)}`
        : line.fromMs.toFixed(0);
    return `${at.padStart(11)} µs  ${line.kind.padEnd(11)} ${line.detail}`;
  });
  out.push(
    `fdatasync at 0 covered ${coveredBy(firstStart, previous.offset)} puts; the next, at ${((secondStart.atMs - firstStart.atMs) * 1000).toFixed(0)} µs, covered ${coveredBy(secondStart, firstStart.offset)}`,
  );
  return out.join("\n");
}
