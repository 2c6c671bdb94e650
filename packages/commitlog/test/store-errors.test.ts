import { StoreError } from "@store/mapped-file";
import { decodeMessageId, MessageCodecError } from "@store/message-codec";
import { describe, expect, it } from "vitest";

describe("StoreError across packages", () => {
  it("is the base of the codec's errors: a MessageCodecError is instanceof StoreError", () => {
    let thrown: unknown;
    try {
      decodeMessageId("not a message id");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MessageCodecError);
    expect(thrown).toBeInstanceOf(StoreError);
    expect(thrown).toMatchObject({ name: "MessageCodecError", code: "INVALID_MESSAGE_ID" });
  });

  it("does not make a store error a codec error", () => {
    const error = new StoreError("BAD_ARGUMENT", "x");
    expect(error).toBeInstanceOf(StoreError);
    expect(error).not.toBeInstanceOf(MessageCodecError);
  });
});
