import { describe, expect, it } from "vitest";
import { StoreError, ioError } from "../src/index.js";

describe("StoreError", () => {
  it("is an Error with a name, a code and a cause", () => {
    const cause = new Error("root");
    const error = new StoreError("BAD_ARGUMENT", "bad", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("StoreError");
    expect(error.code).toBe("BAD_ARGUMENT");
    expect(error.message).toBe("bad");
    expect(error.cause).toBe(cause);
  });

  it("accepts, through instanceof, any error carrying the store error brand", () => {
    // What @store/message-codec's MessageCodecError does: it cannot extend StoreError.
    class BrandedError extends Error {
      readonly code = "INVALID_ARGUMENT";
      constructor() {
        super("branded");
        Object.defineProperty(this, Symbol.for("@store/error"), { value: true });
      }
    }
    expect(new BrandedError()).toBeInstanceOf(StoreError);
    expect(new StoreError("BAD_ARGUMENT", "x")).toBeInstanceOf(StoreError);
    expect(new Error("plain")).not.toBeInstanceOf(StoreError);
    expect(
      Object.assign(new Error("fake"), { code: "BAD_ARGUMENT", name: "StoreError" }),
    ).not.toBeInstanceOf(StoreError);
    expect((null as unknown) instanceof StoreError).toBe(false);
  });

  it("keeps the prototype check for a subclass", () => {
    class QueueError extends StoreError<"QUEUE_BROKEN"> {}
    expect(new QueueError("QUEUE_BROKEN", "x")).toBeInstanceOf(QueueError);
    expect(new QueueError("QUEUE_BROKEN", "x")).toBeInstanceOf(StoreError);
    expect(new StoreError("BAD_ARGUMENT", "x")).not.toBeInstanceOf(QueueError);
  });

  it("takes an upper layer's own codes", () => {
    const error = new StoreError<"QUEUE_BROKEN">("QUEUE_BROKEN", "x");
    expect(error.code).toBe("QUEUE_BROKEN");
  });
});

describe("ioError", () => {
  const errno = (code: string): Error => Object.assign(new Error(`${code}: oops`), { code });

  it("maps ENOSPC to DISK_FULL", () => {
    const cause = errno("ENOSPC");
    const error = ioError("write", "/f", cause);
    expect(error.code).toBe("DISK_FULL");
    expect(error.cause).toBe(cause);
    expect(error.message).toBe("write failed on /f: ENOSPC: oops");
  });

  it("maps every other failure, errno or not, to IO_ERROR", () => {
    expect(ioError("fdatasync", "/f", errno("EIO")).code).toBe("IO_ERROR");
    expect(ioError("read", "/f", errno("EBADF")).code).toBe("IO_ERROR");
    expect(ioError("read", "/f", "plain string")).toMatchObject({
      code: "IO_ERROR",
      message: "read failed on /f: plain string",
    });
    expect(ioError("read", "/f", null).code).toBe("IO_ERROR");
  });
});
