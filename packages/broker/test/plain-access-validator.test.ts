import { describe, expect, it } from "vitest";
import { RemotingCommand, RequestCode, ResponseCode } from "../src/index.js";
import type { RemotingConnection } from "../src/index.js";
import { signRequest } from "../src/acl/acl-signature.js";
import { parsePlainAclConfig } from "../src/acl/plain-access-config.js";
import { PlainAccessValidator } from "../src/acl/plain-access-validator.js";
import { captureLogger } from "./test-support.js";

const SECRET = "SK_alice_secret";
const ADMIN_SECRET = "SK_admin_secret";

function validator(): { acl: PlainAccessValidator; lines: { msg: string }[] } {
  const config = parsePlainAclConfig({
    globalWhiteRemoteAddresses: ["10.9.9.*"],
    accounts: [
      {
        accessKey: "AK_ALICE_1",
        secretKey: SECRET,
        whiteRemoteAddress: "10.1.1.1",
        defaultTopicPerm: "PUB",
        defaultGroupPerm: "SUB",
        topicPerms: ["Denied=DENY", "ReadOnly=SUB", "Both=PUB|SUB"],
        groupPerms: ["GID_DENIED=DENY"],
      },
      { accessKey: "AK_ADMIN_1", secretKey: ADMIN_SECRET, admin: true },
    ],
  });
  const { logger, lines } = captureLogger();
  return { acl: new PlainAccessValidator(config, logger), lines };
}

const FROM = "127.0.0.1:40000";

function sendV2(topic: string): RemotingCommand {
  return RemotingCommand.request(
    RequestCode.SEND_MESSAGE_V2,
    1,
    { a: "PID", b: topic, e: "0" },
    Buffer.from("body"),
  );
}

function pull(topic: string, consumerGroup: string): RemotingCommand {
  return RemotingCommand.request(RequestCode.PULL_MESSAGE, 1, {
    consumerGroup,
    topic,
    queueId: "0",
    queueOffset: "0",
  });
}

function heartbeat(group: string, topics: string[]): RemotingCommand {
  const body = {
    clientID: "c",
    consumerDataSet: [
      {
        groupName: group,
        consumeType: "CONSUME_PASSIVELY",
        messageModel: "CLUSTERING",
        consumeFromWhere: "CONSUME_FROM_LAST_OFFSET",
        subscriptionDataSet: topics.map((topic) => ({ topic, subString: "*" })),
      },
    ],
    producerDataSet: [],
  };
  return RemotingCommand.request(RequestCode.HEART_BEAT, 1, {}, Buffer.from(JSON.stringify(body)));
}

const alice = (request: RemotingCommand) => signRequest(request, "AK_ALICE_1", SECRET);

describe("PlainAccessValidator", () => {
  it("lets a request signed with the account's secret through, and refuses a wrong or missing signature", () => {
    const { acl } = validator();
    expect(acl.check(alice(sendV2("Orders")), FROM)).toBeNull();
    expect(acl.check(signRequest(sendV2("Orders"), "AK_ALICE_1", "SK_wrong_secret"), FROM)).toBe(
      "Check signature failed for accessKey=AK_ALICE_1",
    );
    const tampered = alice(sendV2("Orders"));
    const changed = new RemotingCommand({
      ...tampered,
      extFields: { ...tampered.extFields, b: "Other" },
    });
    expect(acl.check(changed, FROM)).toBe("Check signature failed for accessKey=AK_ALICE_1");
    const unsigned = new RemotingCommand({
      ...tampered,
      extFields: { ...sendV2("Orders").extFields, AccessKey: "AK_ALICE_1" },
    });
    expect(acl.check(unsigned, FROM)).toBe("Check signature failed for accessKey=AK_ALICE_1");
  });

  it("refuses requests without an AccessKey or with an unknown one", () => {
    const { acl } = validator();
    expect(acl.check(sendV2("Orders"), FROM)).toBe("No accessKey is configured");
    expect(acl.check(signRequest(sendV2("Orders"), "AK_NOBODY_1", SECRET), FROM)).toBe(
      "No acl config for AK_NOBODY_1",
    );
  });

  it("checks topic permissions: an explicit entry first, else the default", () => {
    const { acl } = validator();
    expect(acl.check(alice(sendV2("Denied")), FROM)).toBe("No permission for topic:Denied");
    expect(acl.check(alice(sendV2("ReadOnly")), FROM)).toBe("No permission for topic:ReadOnly");
    expect(acl.check(alice(sendV2("Both")), FROM)).toBeNull();
    expect(acl.check(alice(pull("Both", "GID_A")), FROM)).toBeNull();
    expect(acl.check(alice(pull("ReadOnly", "GID_A")), FROM)).toBeNull();
    // default topic permission is PUB: pulling an unlisted topic needs SUB
    expect(acl.check(alice(pull("Orders", "GID_A")), FROM)).toBe(
      "No default permission for topic:Orders",
    );
  });

  it("checks group permissions on pulls, heartbeats, send-backs and retry-topic sends", () => {
    const { acl } = validator();
    expect(acl.check(alice(pull("Both", "GID_DENIED")), FROM)).toBe(
      "No permission for group:GID_DENIED",
    );
    expect(acl.check(alice(heartbeat("GID_A", ["Both"])), FROM)).toBeNull();
    expect(acl.check(alice(heartbeat("GID_A", ["Both", "Denied"])), FROM)).toBe(
      "No permission for topic:Denied",
    );
    expect(acl.check(alice(heartbeat("GID_DENIED", ["Both"])), FROM)).toBe(
      "No permission for group:GID_DENIED",
    );
    const sendBack = RemotingCommand.request(RequestCode.CONSUMER_SEND_MSG_BACK, 1, {
      group: "GID_DENIED",
      offset: "0",
      delayLevel: "0",
    });
    expect(acl.check(alice(sendBack), FROM)).toBe("No permission for group:GID_DENIED");
    // a send to %RETRY%<group> needs SUB on the group (default SUB here), not PUB
    expect(acl.check(alice(sendV2("%RETRY%GID_A")), FROM)).toBeNull();
    expect(acl.check(alice(sendV2("%RETRY%GID_DENIED")), FROM)).toBe(
      "No permission for group:GID_DENIED",
    );
    const broken = alice(
      new RemotingCommand({ code: RequestCode.HEART_BEAT, body: Buffer.from("{") }),
    );
    expect(acl.check(broken, FROM)).toMatch(/^Failed to read the request's resources/);
  });

  it("keeps admin codes for admin accounts; an admin may do anything", () => {
    const { acl } = validator();
    const create = RemotingCommand.request(RequestCode.UPDATE_AND_CREATE_TOPIC, 1, {
      topic: "T",
      readQueueNums: "4",
      writeQueueNums: "4",
      perm: "6",
    });
    expect(acl.check(alice(create), FROM)).toBe(
      "Need admin permission for request code=17, but accessKey=AK_ALICE_1 is not",
    );
    expect(acl.check(signRequest(create, "AK_ADMIN_1", ADMIN_SECRET), FROM)).toBeNull();
    expect(acl.check(signRequest(sendV2("Denied"), "AK_ADMIN_1", ADMIN_SECRET), FROM)).toBeNull();
    // codes without resources need only a valid signature
    const route = RemotingCommand.request(RequestCode.GET_ROUTEINFO_BY_TOPIC, 1, {
      topic: "Denied",
    });
    expect(acl.check(alice(route), FROM)).toBeNull();
  });

  it("lets white addresses through unsigned: global ones for anyone, an account's for its AccessKey", () => {
    const { acl } = validator();
    expect(acl.check(sendV2("Denied"), "10.9.9.4:1234")).toBeNull();
    expect(acl.check(sendV2("Denied"), "::ffff:10.9.9.4:1234")).toBeNull();
    const accountOnly = new RemotingCommand({
      ...sendV2("Denied"),
      extFields: { ...sendV2("Denied").extFields, AccessKey: "AK_ALICE_1" },
    });
    expect(acl.check(accountOnly, "10.1.1.1:1234")).toBeNull();
    expect(acl.check(accountOnly, "10.1.1.2:1234")).toBe(
      "Check signature failed for accessKey=AK_ALICE_1",
    );
  });

  it("answers a refusal NO_PERMISSION with the reason, and logs neither secret", () => {
    const { acl, lines } = validator();
    const connection = {
      id: 1,
      remoteAddress: FROM,
      isOpen: true,
      sendOneway: () => undefined,
      onClose: () => undefined,
    } satisfies RemotingConnection;
    const refused = acl.hook(signRequest(sendV2("Orders"), "AK_ALICE_1", "SK_wrong_secret"), {
      connection,
    });
    expect(refused).toMatchObject({
      code: ResponseCode.NO_PERMISSION,
      remark: "Check signature failed for accessKey=AK_ALICE_1",
      opaque: 1,
    });
    expect(refused?.isResponse).toBe(true);
    expect(acl.hook(alice(sendV2("Orders")), { connection })).toBeNull();
    const logged = JSON.stringify(lines);
    expect(logged).toContain("request refused by ACL");
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(ADMIN_SECRET);
  });
});
