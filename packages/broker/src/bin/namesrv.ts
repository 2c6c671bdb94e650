#!/usr/bin/env node
// store-namesrv: a name server on its own (see namesrvUsage()). Logs JSON lines to stdout.
import { pino } from "pino";
import { NamesrvController } from "../namesrv/namesrv-controller.js";
import { namesrvUsage, parseNamesrvArgs } from "../namesrv/namesrv-startup.js";

/** Exit codes: 0 stopped by a signal, 1 could not start (port taken, ...), 2 bad arguments. */
async function main(argv: readonly string[]): Promise<number> {
  let controller: NamesrvController;
  try {
    const command = parseNamesrvArgs(argv);
    if (command.help) {
      process.stdout.write(namesrvUsage());
      return 0;
    }
    controller = new NamesrvController(command.config, {
      logger: pino({ name: "namesrv", level: process.env.LOG_LEVEL ?? "info" }),
    });
  } catch (error) {
    process.stderr.write(`store-namesrv: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    await controller.start();
  } catch (error) {
    process.stderr.write(`store-namesrv: could not start: ${(error as Error).message}\n`);
    return 1;
  }
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  process.stderr.write(`store-namesrv: ${signal}, shutting down\n`);
  await controller.shutdown();
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
