import type { Logger } from "pino";
import { pino } from "pino";
import pretty from "pino-pretty";

export interface LoggerOptions {
  /** pino level; default `LOG_LEVEL` from the environment, else "info". */
  readonly level?: string;
  /** Human-readable lines (pino-pretty) instead of JSON; default: whether stdout is a terminal. */
  readonly pretty?: boolean;
}

/**
 * The process logger: JSON lines on stdout (for log collectors and tests), or pino-pretty's
 * coloured lines when stdout is a terminal. Both write synchronously, so the last lines before an
 * exit are not lost. Fields under `detail` are for log collectors: the terminal shows the message only.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? "info";
  const base = { name: "demo-broker", level };
  if (options.pretty ?? process.stdout.isTTY === true) {
    const ignore = "pid,hostname,name,component,service,detail";
    return pino(
      base,
      pretty({ colorize: true, sync: true, translateTime: "SYS:HH:MM:ss.l", ignore }),
    );
  }
  return pino(base, pino.destination({ fd: 1, sync: true }));
}

/**
 * The store's logger: a child of `logger`. On a terminal it shows warnings and errors only (the
 * services' start and stop lines are noise there) unless LOG_LEVEL asks for more.
 */
export function storeLogger(logger: Logger, pretty: boolean): Logger {
  const level = pretty ? (process.env.LOG_LEVEL ?? "warn") : logger.level;
  return logger.child({ component: "store" }, { level });
}
