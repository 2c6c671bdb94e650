import { describe, expect, it } from "vitest";
import { MessageCodecError } from "../src/message-codec-error.js";

describe("MessageCodecError", () => {
  it("is an Error with a name, a stable code and a passed-through cause", () => {
    const cause = new Error("root");
    const error = new MessageCodecError("INVALID_MESSAGE_ID", "bad id", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(MessageCodecError);
    expect(error.name).toBe("MessageCodecError");
    expect(error.code).toBe("INVALID_MESSAGE_ID");
    expect(error.message).toBe("bad id");
    expect(error.cause).toBe(cause);
  });

  it("carries the store error brand, so StoreError's instanceof accepts it", () => {
    const error = new MessageCodecError("INVALID_ARGUMENT", "bad");
    expect((error as unknown as Record<symbol, unknown>)[Symbol.for("@store/error")]).toBe(true);
    expect(Object.keys(error)).not.toContain(Symbol.for("@store/error").toString());
  });

  it("is not an instance for a plain Error", () => {
    expect(new Error("x")).not.toBeInstanceOf(MessageCodecError);
  });
});
