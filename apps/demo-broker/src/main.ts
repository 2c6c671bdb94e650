#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { StoreError } from "@store/mapped-file";
import type { Logger } from "pino";
import {
  benchExitCode,
  parseBenchArgs,
  renderBenchHelp,
  renderBenchResult,
  runBench,
} from "./bench-command.js";
import { ConfigError } from "./config-error.js";
import { renderHelp } from "./config-help.js";
import { USAGE, parseCommandLine } from "./config-loader.js";
import { DemoBrokerApp } from "./demo-broker-app.js";
import { describePromise } from "./flush-strategy.js";
import { createLogger, storeLogger } from "./logger.js";
import { loadCommand, renderBanner, statusUrl } from "./start-banner.js";

/** Exit codes of the bin. */
export const EXIT = { ok: 0, failed: 1, badConfig: 2, storeLocked: 3, forced: 130 } as const;

/** How long a signal-triggered shutdown may take before the process exits anyway, ms. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

/** Where main writes; the real process streams by default. */
export interface MainIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Human-readable logs and the banner as text; default: whether stdout is a terminal. */
  readonly pretty: boolean;
  /** Where `bench` draws its progress bar; absent when stderr is not a terminal. */
  readonly progress?: (text: string) => void;
}

const processIO: MainIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  pretty: process.stdout.isTTY === true,
  progress: process.stderr.isTTY === true ? (text) => process.stderr.write(text) : undefined,
};

/** `demo-broker bench ...`: the load generator over the wire (exit 0 when all acknowledged and verified). */
async function bench(argv: readonly string[], io: MainIO): Promise<number> {
  let options;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`demo-broker ${error.message}\n`);
    return EXIT.badConfig;
  }
  if (options === "help") {
    io.stdout(`${renderBenchHelp()}\n`);
    return EXIT.ok;
  }
  try {
    const result = await runBench(options, options.json ? undefined : io.progress);
    io.stdout(options.json ? `${JSON.stringify(result)}\n` : `${renderBenchResult(result)}\n`);
    return benchExitCode(result);
  } catch (error) {
    io.stderr(`demo-broker bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

/**
 * Runs the broker until SIGINT or SIGTERM: parses the command line, starts the app, prints the
 * banner, and on a signal shuts down (bounded by SHUTDOWN_DEADLINE_MS). Resolves the exit code.
 */
export async function main(argv: readonly string[], io: MainIO = processIO): Promise<number> {
  if (argv[0] === "bench") return bench(argv.slice(1), io);
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`demo-broker: ${error.message.replaceAll("\n", "\ndemo-broker: ")}\n${USAGE}\n`);
    return EXIT.badConfig;
  }
  if (parsed.kind === "help") {
    io.stdout(`${renderHelp()}\n`);
    return EXIT.ok;
  }
  if (parsed.config.aclEnable && parsed.config.enableGrpc) {
    io.stderr(
      "demo-broker: aclEnable=true checks remoting requests, but the gRPC proxy does not check ACL yet; " +
        "add --enableGrpc=false to run with ACL rather than leave gRPC unprotected\n",
    );
    return EXIT.badConfig;
  }
  const logger = createLogger({ pretty: io.pretty });
  for (const warning of parsed.warnings) logger.warn(warning);
  let app: DemoBrokerApp;
  try {
    app = await DemoBrokerApp.start(parsed.config, {
      logger,
      storeLogger: storeLogger(logger, io.pretty),
    });
  } catch (error) {
    return startFailed(error, logger, io);
  }
  announce(app, logger, io);
  return waitForSignal(app, logger);
}

function startFailed(error: unknown, logger: Logger, io: MainIO): number {
  const code =
    error instanceof StoreError ? String(error.code) : (error as { code?: string } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const message =
    code === "STORE_LOCKED"
      ? `cannot start: ${detail}. Stop the other broker or choose another --storePathRootDir.`
      : code === "EADDRINUSE"
        ? `cannot start: a port is already in use (${detail}); choose another with --httpPort=...`
        : `cannot start: ${detail}`;
  if (!io.pretty) logger.fatal({ err: error, code }, message);
  io.stderr(`demo-broker: ${message}\n`);
  return code === "STORE_LOCKED" ? EXIT.storeLocked : EXIT.failed;
}

function announce(app: DemoBrokerApp, logger: Logger, io: MainIO): void {
  const info = app.bannerInfo();
  if (io.pretty) {
    io.stdout(`\n${renderBanner(info)}\n\n`);
    return;
  }
  logger.info(
    {
      event: "ready",
      ports: info.ports,
      storePath: info.storePath,
      strategy: info.strategy.name,
      services: info.strategy.services,
      promise: describePromise(info.strategy),
      recovery: info.recovery.mode,
      statusUrl: statusUrl(info.ports.http),
      sendLoad: loadCommand(info.ports),
    },
    "demo-broker ready",
  );
}

function waitForSignal(app: DemoBrokerApp, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn(
          { detail: { signal } },
          `${signal} again: exiting now; the next start recovers abnormally`,
        );
        resolve(EXIT.forced);
        return;
      }
      stopping = true;
      logger.info(
        { detail: { signal } },
        `${signal}: shutting down: no new requests, finishing those in flight, then flushing`,
      );
      const deadline = setTimeout(() => {
        logger.error(
          `shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms; exiting: the next start recovers abnormally`,
        );
        resolve(EXIT.failed);
      }, SHUTDOWN_DEADLINE_MS);
      app.shutdown().then(
        () => {
          clearTimeout(deadline);
          resolve(EXIT.ok);
        },
        (error: unknown) => {
          clearTimeout(deadline);
          logger.error({ err: error }, "shutdown failed: the next start recovers abnormally");
          resolve(EXIT.failed);
        },
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(EXIT.failed);
    },
  );
}
