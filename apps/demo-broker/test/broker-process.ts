import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built bin, as `node <bin>` runs it (tests depend on the build, as turbo's test task does). */
export const BIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** The "ready" log line's fields. */
export interface ReadyLine {
  readonly ports: {
    readonly http: number;
    readonly listen: number | null;
    readonly namesrv: number | null;
  };
  readonly storePath: string;
  readonly strategy: string;
  readonly promise: string;
  readonly recovery: string;
  readonly statusUrl: string;
}

/** A demo-broker child process with its output, parsed as JSON log lines where possible. */
export class BrokerProcess {
  readonly child: ChildProcess;
  /** stdout lines parsed as JSON (non-JSON lines as `{ text }`). */
  readonly logs: Record<string, unknown>[] = [];
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #readyWaiters: ((line: ReadyLine) => void)[] = [];

  constructor(args: readonly string[], cwd: string) {
    const env = { ...process.env, LOG_LEVEL: "info" };
    this.child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    let pending = "";
    this.child.stdout?.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) this.#line(line);
    });
    this.child.stdout?.on("end", () => {
      if (pending !== "") this.#line(pending);
      pending = "";
    });
    this.child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    // "close": after the exit and after stdout and stderr are fully read
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code, signal) => resolve({ code, signal })),
    );
  }

  #line(line: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      parsed = { text: line };
    }
    this.logs.push(parsed);
    if (parsed.event === "ready")
      for (const waiter of this.#readyWaiters.splice(0)) waiter(parsed as unknown as ReadyLine);
  }

  /** Resolves the ready line; rejects if the process exits first or `timeoutMs` passes. */
  ready(timeoutMs = 30_000): Promise<ReadyLine> {
    const seen = this.logs.find((l) => l.event === "ready");
    if (seen !== undefined) return Promise.resolve(seen as unknown as ReadyLine);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not ready within ${timeoutMs} ms: ${this.stderr}`)),
        timeoutMs,
      );
      this.#readyWaiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code ?? signal}) before ready: ${this.stderr}`));
      });
    });
  }

  /** The log messages so far. */
  messages(): string[] {
    return this.logs.map((l) =>
      typeof l.msg === "string" ? l.msg : typeof l.text === "string" ? l.text : "",
    );
  }

  /** Kills it with SIGKILL if it still runs (test cleanup). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}

/** Runs the bin to completion (for --help and refusals). */
export async function runToExit(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const broker = new BrokerProcess(args, cwd);
  const { code } = await broker.exited;
  const stdout = broker.logs
    .map((l) => (typeof l.text === "string" ? l.text : JSON.stringify(l)))
    .join("\n");
  return { code, stdout, stderr: broker.stderr };
}
