import { Writable } from "node:stream";
import pino from "pino";
import type { Logger } from "pino";

/** One pino log line, parsed. */
export interface LogEntry {
  readonly level: number;
  readonly msg: string;
  readonly service?: string;
  readonly code?: string;
  readonly suppressed?: number;
}

/** A real pino logger at `info` whose lines land in `entries` (synchronously), for assertions. */
export function captureLogger(): { logger: Logger; entries: LogEntry[]; errors: () => LogEntry[] } {
  const entries: LogEntry[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n"))
        if (line) entries.push(JSON.parse(line) as LogEntry);
      done();
    },
  });
  const logger = pino({ level: "info" }, stream);
  return { logger, entries, errors: () => entries.filter((entry) => entry.level >= 50) };
}
