import type { z } from "zod";
import { BrokerError } from "../broker-error.js";
import type { NamesrvConfigInput } from "./namesrv-controller.js";
import { namesrvConfigSchema } from "./namesrv-controller.js";

/** What the command line asked for: the usage text, or a name server with this config. */
export type NamesrvCommand =
  { readonly help: true } | { readonly help: false; readonly config: NamesrvConfigInput };

/**
 * Parses `store-namesrv [--<key>=<value> ...] [--help]` (NamesrvStartup): each key one of
 * {@link namesrvConfigSchema}'s, numbers in decimal. Validation of the values is the controller's.
 * @throws BrokerError INVALID_CONFIG for an argument that is not `--key=value` or names no key.
 */
export function parseNamesrvArgs(argv: readonly string[]): NamesrvCommand {
  const shape = namesrvConfigSchema.shape as Record<string, z.ZodType>;
  const config: Record<string, unknown> = {};
  for (const argument of argv) {
    if (argument === "--help" || argument === "-h") return { help: true };
    const match = /^--([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(argument);
    if (match === null)
      throw new BrokerError(
        "INVALID_CONFIG",
        `unexpected argument ${JSON.stringify(argument)}: expected --<key>=<value> (see --help)`,
      );
    const [, key, value] = match as unknown as [string, string, string];
    if (!Object.hasOwn(shape, key)) {
      throw new BrokerError(
        "INVALID_CONFIG",
        `unknown key ${key}: expected one of ${Object.keys(shape).join(", ")}`,
      );
    }
    config[key] = key === "namesrvHost" || !/^-?\d+$/.test(value) ? value : Number(value);
  }
  return { help: false, config };
}

/** `--help`: the usage line and every key with its default and meaning. */
export function namesrvUsage(): string {
  const defaults = namesrvConfigSchema.parse({}) as Record<string, unknown>;
  const lines = Object.entries(namesrvConfigSchema.shape as Record<string, z.ZodType>).map(
    ([key, schema]) => {
      const fallback =
        defaults[key] === undefined ? "" : ` (default ${JSON.stringify(defaults[key])})`;
      return `  --${key}=<value>${fallback}\n      ${schema.description ?? ""}`;
    },
  );
  return [
    "Usage: store-namesrv [--<key>=<value> ...]",
    "A RocketMQ name server: brokers register (REGISTER_BROKER), clients ask for routes. Stops on SIGINT or SIGTERM.",
    "",
    ...lines,
    "",
  ].join("\n");
}
