import pino from "pino";
import type { Logger } from "pino";

let silent: Logger | null = null;

/**
 * The logger services use when none is injected: a silent pino logger, because a library should not
 * print unless its host asks it to. Pass `pino({ level: "info" })` (or a child of the host's logger)
 * to see loop errors and shutdown messages.
 */
export function defaultLogger(): Logger {
  silent ??= pino({ level: "silent" });
  return silent;
}

/** The `code` of a StoreError (or errno error), for logs; "UNKNOWN" otherwise. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "UNKNOWN";
}
