// Summarises a V8 .cpuprofile (from BENCH_PROFILE=1): self time by function and by area (our
// packages, node internals, GC, idle), the top entries first.
// Usage: node dist-bench/profile-summary.js <file.cpuprofile> [top=25]
import { readFileSync } from "node:fs";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Which part of the system a frame belongs to. */
function area(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (functionName === "(idle)") return "idle";
  if (functionName === "(garbage collector)") return "gc";
  if (functionName === "(program)") return "program (native, outside JS)";
  const match = /packages\/([a-z-]+)\/(dist|dist-bench)\//.exec(url);
  if (match !== null) return `@store/${match[1]}${match[2] === "dist-bench" ? " (bench)" : ""}`;
  if (url.includes("node_modules")) return "dependencies";
  if (url.startsWith("node:")) return "node internals";
  return url === "" ? "native" : "other";
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (file === undefined) throw new Error("usage: profile-summary <file.cpuprofile> [top]");
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) =>
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)),
  );
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const file = node.callFrame.url.replace(/^.*\/(packages|node_modules)\//, "");
    const key = `${node.callFrame.functionName || "(anonymous)"} ${file}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byArea.set(area(node), (byArea.get(area(node)) ?? 0) + us);
  }
  const print = (title: string, table: Map<string, number>, top: number) => {
    console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms)`);
    for (const [key, us] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(
        `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
      );
    }
  };
  print("self time by area", byArea, 20);
  print("self time by function", byFunction, Number(topArg ?? 25));
}

main();
