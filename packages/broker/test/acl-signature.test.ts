import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { RemotingCommand, RequestCode } from "../src/index.js";
import { aclSignature, aclSignedContent, signRequest } from "../src/acl/acl-signature.js";

const require = createRequire(import.meta.url);

/** ali-ons@3.12.0's own command and signing code (Channel.beforeRequest), without a socket. */
interface AliOnsCommand {
  body: Buffer | null;
  extFields: Record<string, string>;
  encode(): Buffer;
}
const AliOnsRemotingCommand = require("ali-ons/lib/protocol/command/remoting_command") as {
  createRequestCommand(code: number, customHeader: Record<string, unknown>): AliOnsCommand;
};
const AliOnsChannel = require("ali-ons/lib/channel") as {
  prototype: { beforeRequest(this: unknown, command: AliOnsCommand): void };
};

function signedByAliOns(
  code: number,
  header: Record<string, unknown>,
  body: Buffer | null,
  accessKey: string,
  secretKey: string,
): RemotingCommand {
  const command = AliOnsRemotingCommand.createRequestCommand(code, header);
  command.body = body;
  AliOnsChannel.prototype.beforeRequest.call(
    { accessKey, secretKey, onsChannel: "ALIYUN" },
    command,
  );
  return RemotingCommand.decode(command.encode().subarray(4));
}

describe("aclSignature", () => {
  it("is base64 HMAC-SHA1 over the values ordered by key, then the body (golden values from openssl)", () => {
    const fields = {
      b: "TopicTest",
      a: "PID_ACL",
      e: "0",
      OnsChannel: "ALIYUN",
      AccessKey: "AK_ALICE_1",
      Signature: "ignored",
    };
    const content = aclSignedContent(fields, Buffer.from("hello"), 401);
    expect(content.toString()).toBe("AK_ALICE_1ALIYUNPID_ACLTopicTest0hello");
    // printf 'AK_ALICE_1ALIYUNPID_ACLTopicTest0hello' | openssl dgst -sha1 -hmac SK_alice_secret -binary | base64
    expect(aclSignature(content, "SK_alice_secret")).toBe("AgZE4PwjHKW1YscF4aTV7YEUKqk=");
    expect(aclSignature(aclSignedContent(fields, null, 401), "SK_alice_secret")).toBe(
      "LjQezYCAPyLW0ThqmigUyQya1vs=",
    );
  });

  it("matches what ali-ons signs, numbers and booleans included, for a send and for a pull", () => {
    const send = signedByAliOns(
      RequestCode.SEND_MESSAGE_V2,
      {
        a: "PID_ACL",
        b: "TopicTest",
        c: "TBW102",
        d: 4,
        e: 2,
        f: 0,
        g: 1_700_000_000_123,
        h: 0,
        i: "TAGS\u0001TagA\u0002",
        j: 0,
        k: false,
      },
      Buffer.from("héllo"),
      "AK_ALICE_1",
      "SK_alice_secret",
    );
    expect(send.extFields).toMatchObject({
      AccessKey: "AK_ALICE_1",
      OnsChannel: "ALIYUN",
      d: "4",
      k: "false",
    });
    expect(send.extFields.Signature).toBe(
      aclSignature(aclSignedContent(send.extFields, send.body, send.version), "SK_alice_secret"),
    );
    const pull = signedByAliOns(
      RequestCode.PULL_MESSAGE,
      {
        consumerGroup: "GID_ACL",
        topic: "TopicTest",
        queueId: 1,
        queueOffset: 0,
        maxMsgNums: 32,
        sysFlag: 6,
        commitOffset: 0,
        suspendTimeoutMillis: 15000,
        subscription: "*",
        subVersion: 1,
      },
      null,
      "AK_ALICE_1",
      "SK_alice_secret",
    );
    expect(pull.extFields.Signature).toBe(
      aclSignature(aclSignedContent(pull.extFields, null, pull.version), "SK_alice_secret"),
    );
    expect(pull.extFields.Signature).not.toBe(
      aclSignature(aclSignedContent(pull.extFields, null, pull.version), "SK_wrong_secret"),
    );
  });

  it("leaves _UNIQUE_KEY_QUERY out for clients up to V4_9_3 only", () => {
    const fields = { topic: "T", _UNIQUE_KEY_QUERY: "true", AccessKey: "AK_ALICE_1" };
    expect(aclSignedContent(fields, null, 399).toString()).toBe("AK_ALICE_1T");
    expect(aclSignedContent(fields, null, 400).toString()).toBe("AK_ALICE_1trueT");
  });
});

describe("signRequest", () => {
  it("adds AccessKey and a Signature over the rest, as AclClientRPCHook does", () => {
    const request = RemotingCommand.request(RequestCode.GET_MAX_OFFSET, 3, {
      topic: "T",
      queueId: "0",
    });
    const signed = signRequest(request, "AK_ALICE_1", "SK_alice_secret");
    expect(Object.keys(signed.extFields).sort()).toEqual([
      "AccessKey",
      "Signature",
      "queueId",
      "topic",
    ]);
    expect(signed.extFields.Signature).toBe(
      aclSignature(Buffer.from("AK_ALICE_10T"), "SK_alice_secret"),
    );
    expect(signed.opaque).toBe(3);
  });
});
