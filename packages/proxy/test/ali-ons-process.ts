import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

const SCRIPT = fileURLToPath(new URL("./fixtures/ali-ons-client.mjs", import.meta.url));

/** One JSON line the fixture printed. */
export interface ClientEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

const children: AliOnsProcess[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

/** An ali-ons producer or consumer in a child process (test/fixtures/ali-ons-client.mjs). */
export class AliOnsProcess {
  readonly events: ClientEvent[] = [];
  readonly stderr: string[] = [];
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #waiters: (() => void)[] = [];

  constructor(options: Record<string, unknown>) {
    this.#child = spawn(process.execPath, [SCRIPT, JSON.stringify(options)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#exited = new Promise((resolve) => this.#child.once("exit", (code) => resolve(code)));
    let buffered = "";
    this.#child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines)
        if (line.trim() !== "") this.events.push(JSON.parse(line) as ClientEvent);
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
    this.#child.stderr?.on("data", (chunk: Buffer) => this.stderr.push(chunk.toString()));
    children.push(this);
  }

  /** Events of one kind. */
  all(event: string): ClientEvent[] {
    return this.events.filter((item) => item.event === event);
  }

  /** Resolves once `condition` holds over the events; rejects after `timeoutMs` with what was seen. */
  async until(
    condition: (events: ClientEvent[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this.events)) {
      const fatal = this.events.find((item) => item.event === "fatal");
      if (fatal !== undefined) throw new Error(`ali-ons client failed: ${String(fatal.message)}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; last events: ${JSON.stringify(this.events.slice(-5))} ${this.stderr.join("").slice(-500)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** SIGTERM (consumers close cleanly and commit their offsets), then SIGKILL if it lingers. */
  async kill(graceMs = 5000): Promise<number | null> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null)
      return this.#child.exitCode;
    this.#child.kill("SIGTERM");
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
    const code = await this.#exited;
    clearTimeout(timer);
    return code;
  }
}
