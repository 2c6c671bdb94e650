#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { ConfigError, parseCommandLine } from "./config.js";
import { formatReport, runDemo } from "./demo.js";

/** Runs the demo with the given arguments; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let config;
  try {
    config = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`demo-broker: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const logger = pino({ name: "demo-broker", level: process.env.LOG_LEVEL ?? "warn" });
  const report = await runDemo(config, logger);
  console.log(formatReport(report));
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
