/*
 * Typed reads of a request's extFields (all strings after decoding). Each read names the field in
 * its error, so a bad request is answered with a remark such as
 * "queueId: expected an integer in [0, 3], got 'x'" instead of a crash or a silent default.
 * Only a field's own value counts (a name such as "constructor" is never read from the prototype).
 */
import type { ExtFields } from "./remoting-command.js";
import { HeaderFieldError } from "./remoting-error.js";

const INTEGER = /^-?\d{1,19}$/;

function own(fields: ExtFields, name: string): string | undefined {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/** An inclusive integer range a header field must fall in. */
export interface IntRange {
  readonly min?: number;
  readonly max?: number;
}

/** A required string field. @throws HeaderFieldError when it is absent. */
export function requiredString(fields: ExtFields, name: string): string {
  const value = own(fields, name);
  if (value === undefined) throw new HeaderFieldError(name, `${name}: required`);
  return value;
}

/** An optional string field. */
export function optionalString(fields: ExtFields, name: string): string | undefined {
  return own(fields, name);
}

/**
 * A required integer field (int32 or int64 within Number's safe range), bounds included.
 * @throws HeaderFieldError when absent, not an integer, or out of range.
 */
export function requiredInt(fields: ExtFields, name: string, range: IntRange = {}): number {
  const value = own(fields, name);
  if (value === undefined) throw new HeaderFieldError(name, `${name}: required`);
  return parseInt(name, value, range);
}

/** An optional integer field; `fallback` when absent. @throws HeaderFieldError when present but bad. */
export function optionalInt(
  fields: ExtFields,
  name: string,
  fallback: number,
  range: IntRange = {},
): number {
  const value = own(fields, name);
  return value === undefined ? fallback : parseInt(name, value, range);
}

/** An optional boolean field ("true" / "false"); `fallback` when absent. */
export function optionalBoolean(fields: ExtFields, name: string, fallback: boolean): boolean {
  const value = own(fields, name);
  if (value === undefined) return fallback;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new HeaderFieldError(name, `${name}: expected true or false, got '${truncate(value)}'`);
}

function parseInt(name: string, value: string, range: IntRange): number {
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const parsed = INTEGER.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new HeaderFieldError(
      name,
      `${name}: expected an integer in [${min}, ${max}], got '${truncate(value)}'`,
    );
  }
  return parsed;
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}
