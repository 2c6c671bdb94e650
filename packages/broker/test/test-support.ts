import { connect } from "node:net";
import type { Socket } from "node:net";
import { pino } from "pino";
import type { Logger } from "pino";

/** A logger that keeps every line (parsed) for assertions. */
export function captureLogger(): {
  logger: Logger;
  lines: { level: number; msg: string; [key: string]: unknown }[];
} {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }),
    },
  );
  return { logger, lines };
}

/** Polls `condition` every few ms until it holds; rejects naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A plain TCP connection (for raw or malformed bytes) and a promise of its close. */
export function connectRaw(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve({ socket, closed: new Promise((done) => socket.once("close", () => done())) });
    });
    socket.once("error", reject);
  });
}

/**
 * Records unhandled rejections and uncaught exceptions while `run` runs (vitest would report them
 * too, but this names them in the failing assertion).
 */
export async function withProcessErrors<T>(
  run: () => Promise<T>,
): Promise<{ result: T; errors: unknown[] }> {
  const errors: unknown[] = [];
  const record = (error: unknown) => void errors.push(error);
  process.on("unhandledRejection", record);
  process.on("uncaughtException", record);
  try {
    return { result: await run(), errors };
  } finally {
    process.off("unhandledRejection", record);
    process.off("uncaughtException", record);
  }
}
