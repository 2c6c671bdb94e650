import { open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { BrokerError } from "./broker-error.js";

/**
 * Writes `value` as JSON to `path` atomically and durably: a temp file beside it, fsync, rename over
 * the old one, fsync of the directory. A crash leaves either the old file or the new one, never a mix.
 * @throws BrokerError PERSIST_FAILED with the I/O error as cause.
 */
export async function writeJsonFileAtomically(path: string, value: unknown): Promise<void> {
  const temp = `${path}.tmp`;
  try {
    const file = await open(temp, "w");
    try {
      await file.writeFile(JSON.stringify(value, null, 2));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    const directory = await open(dirname(path), "r");
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch (error) {
    throw new BrokerError("PERSIST_FAILED", `cannot write ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Reads and parses a JSON file; `null` when it does not exist.
 * @throws BrokerError CONFIG_FILE_CORRUPT when it cannot be read or is not JSON (never silently reset:
 *   offsets and topics matter).
 */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new BrokerError(
      "CONFIG_FILE_CORRUPT",
      `cannot read ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BrokerError(
      "CONFIG_FILE_CORRUPT",
      `${path} is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** A plain JSON object (not null, not an array), or null. */
export function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
