// The contract of a server under test: a module in bench/servers/ exporting `start`, run in a child
// process by server-host.ts, so its CPU time and memory are its own. To measure another server (the
// BrokerController, say), add a module here and a line to the bench's SERVERS table.

/** Settings every server module receives. */
export interface BenchServerOptions {
  /** A fresh scratch directory for its files. */
  readonly dir: string;
  /** Module-specific choice, e.g. the flush strategy of the store server. */
  readonly variant?: string;
}

/** A started server. */
export interface BenchServer {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Stops it: no more connections, files flushed and closed. */
  stop(): Promise<void>;
}

export type StartBenchServer = (options: BenchServerOptions) => Promise<BenchServer>;
