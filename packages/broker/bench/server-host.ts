// Runs one server under test in this (child) process: `node server-host.js <module> <options json>`.
// Talks to the bench over IPC: sends {type:"ready", port}; answers {type:"mark"} with its CPU time
// and peak RSS since the previous mark; stops on {type:"stop"}.
import { readFileSync, writeFileSync } from "node:fs";
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

const [name, optionsJson] = process.argv.slice(2);
const serverModule = (await import(`./servers/${name}.js`)) as { start: StartBenchServer };
const server = await serverModule.start(JSON.parse(optionsJson ?? "{}") as BenchServerOptions);
takePeakRss();
process.on("message", (message: { type: string }) => {
  if (message.type === "mark") {
    const cpu = process.cpuUsage();
    const reply: MarkReply = { type: "mark", cpuUs: cpu.user + cpu.system, peakRssKiB: takePeakRss() };
    process.send?.(reply);
  } else if (message.type === "stop") {
    void server.stop().then(() => process.exit(0));
  }
});
process.send?.({ type: "ready", port: server.port });
