import { describe, expect, it } from "vitest";
import { CodecError } from "../../src/index.js";

describe("CodecError", () => {
  it("is an Error with a name, a stable code and a passed-through cause", () => {
    const cause = new Error("root");
    const error = new CodecError("INVALID_MESSAGE_ID", "bad id", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("CodecError");
    expect(error.code).toBe("INVALID_MESSAGE_ID");
    expect(error.message).toBe("bad id");
    expect(error.cause).toBe(cause);
  });
});
