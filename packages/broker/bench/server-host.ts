// Runs one server under test in this (child) process: `node server-host.js <module> <options json>`.
// Talks to the bench over IPC: sends {type:"ready", port}; answers {type:"mark"} with its CPU time
// and peak RSS since the previous mark; stops on {type:"stop"}. With `profileDir` in its options it
// records a V8 CPU profile of each measurement window (from one mark to the next) into that directory.
import { readFileSync, writeFileSync } from "node:fs";
import * as inspector from "node:inspector/promises";
import { join } from "node:path";
import type { BenchServerOptions, StartBenchServer } from "./servers/bench-server.js";

export interface MarkReply {
  readonly type: "mark";
  /** User + system CPU time of this process since it started, µs. */
  readonly cpuUs: number;
  /** Peak resident set since the previous mark (VmHWM, reset at each mark), KiB. */
  readonly peakRssKiB: number;
}

/** VmHWM from /proc (0 where there is no /proc), then resets it to the current RSS. */
function takePeakRss(): number {
  try {
    const peak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0);
    writeFileSync("/proc/self/clear_refs", "5");
    return peak;
  } catch {
    return Math.round(process.resourceUsage().maxRSS);
  }
}

/** Profiles the windows between marks: odd marks start the profiler, even ones write the profile. */
class WindowProfiler {
  readonly #inspector = new inspector.Session();
  readonly #path: (index: number) => string;
  #marks = 0;

  constructor(path: (index: number) => string) {
    this.#path = path;
    this.#inspector.connect();
  }

  async mark(): Promise<void> {
    if (this.#marks++ % 2 === 0) {
      await this.#inspector.post("Profiler.enable");
      await this.#inspector.post("Profiler.start");
      return;
    }
    const { profile } = await this.#inspector.post("Profiler.stop");
    writeFileSync(this.#path(this.#marks / 2), JSON.stringify(profile));
  }
}

const [name, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson ?? "{}") as BenchServerOptions & {
  profileDir?: string;
  label?: string;
};
const serverModule = (await import(`./servers/${name}.js`)) as { start: StartBenchServer };
const server = await serverModule.start(options);
const profiler =
  options.profileDir === undefined
    ? null
    : new WindowProfiler((n) =>
        join(options.profileDir!, `${options.label ?? name}-window${n}.cpuprofile`),
      );
takePeakRss();
process.on("message", (message: { type: string }) => {
  if (message.type === "mark") {
    const cpu = process.cpuUsage();
    const reply: MarkReply = {
      type: "mark",
      cpuUs: cpu.user + cpu.system,
      peakRssKiB: takePeakRss(),
    };
    // The reply goes first: the window's CPU figure does not include starting or stopping the profiler.
    process.send?.(reply);
    void profiler?.mark();
  } else if (message.type === "stop") {
    void server.stop().then(() => process.exit(0));
  }
});
process.send?.({ type: "ready", port: server.port });
