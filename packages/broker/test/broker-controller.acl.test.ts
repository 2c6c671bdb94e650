import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BrokerController,
  BrokerError,
  RemotingClient,
  RemotingCommand,
  RequestCode,
  ResponseCode,
  signRequest,
} from "../src/index.js";
import { AliOnsProcess } from "./ali-ons-process.js";
import { SMALL_STORE } from "./broker-fixture.js";
import { namesrv, running } from "./cluster-fixture.js";
import { tempDir, waitFor } from "./helpers.js";
import { captureLogger } from "./test-support.js";

const SECRET = "SK-alice-0123456789";
const WRONG_SECRET = "SK-mallory-99999999";
const ADMIN_SECRET = "SK-admin-0123456789";

const PLAIN_ACL = `accounts:
  - accessKey: AK_ALICE_1
    secretKey: ${SECRET}
    defaultTopicPerm: PUB|SUB
    defaultGroupPerm: SUB
    topicPerms:
      - Denied=DENY
  - accessKey: AK_ADMIN_1
    secretKey: ${ADMIN_SECRET}
    admin: true
`;

/** A broker with aclEnable and the accounts above (in the default place), logging into `lines`. */
async function aclBroker(namesrvAddr?: string) {
  const dir = await tempDir();
  await mkdir(join(dir, "config"), { recursive: true });
  await writeFile(join(dir, "config", "plain_acl.yml"), PLAIN_ACL);
  const { logger, lines } = captureLogger();
  const broker = new BrokerController(
    { storePathRootDir: dir, listenPort: 0, ...SMALL_STORE, aclEnable: true, namesrvAddr },
    { logger },
  );
  await broker.start();
  running.push(broker);
  return { broker, lines };
}

function sendV2(topic: string, body: string): RemotingCommand {
  return RemotingCommand.request(
    RequestCode.SEND_MESSAGE_V2,
    0,
    {
      a: "PID_ACL",
      b: topic,
      c: "TBW102",
      d: "4",
      e: "0",
      f: "0",
      g: String(Date.now()),
      h: "0",
      i: "",
      j: "0",
      k: "false",
    },
    Buffer.from(body),
  );
}

function stored(broker: BrokerController, topic: string): number {
  let total = 0;
  for (let queueId = 0; queueId < 4; queueId++)
    total += broker.messageStore.getMaxOffsetInQueue(topic, queueId);
  return total;
}

describe("BrokerController with aclEnable", () => {
  it("answers unsigned or wrongly signed requests NO_PERMISSION and serves signed ones; secrets stay out of the log", async () => {
    const { broker, lines } = await aclBroker();
    const client = await RemotingClient.connect({ port: broker.listenPort });
    running.push({ shutdown: () => client.close() });
    const unsigned = await client.invoke(sendV2("Orders", "x"));
    expect([unsigned.code, unsigned.remark]).toEqual([
      ResponseCode.NO_PERMISSION,
      "No accessKey is configured",
    ]);
    const wrong = await client.invoke(
      signRequest(sendV2("Orders", "x"), "AK_ALICE_1", WRONG_SECRET),
    );
    expect([wrong.code, wrong.remark]).toEqual([
      ResponseCode.NO_PERMISSION,
      "Check signature failed for accessKey=AK_ALICE_1",
    ]);
    const denied = await client.invoke(signRequest(sendV2("Denied", "x"), "AK_ALICE_1", SECRET));
    expect([denied.code, denied.remark]).toEqual([
      ResponseCode.NO_PERMISSION,
      "No permission for topic:Denied",
    ]);
    const create = RemotingCommand.request(RequestCode.UPDATE_AND_CREATE_TOPIC, 0, {
      topic: "Admin",
      readQueueNums: "4",
      writeQueueNums: "4",
      perm: "6",
    });
    expect((await client.invoke(signRequest(create, "AK_ALICE_1", SECRET))).code).toBe(
      ResponseCode.NO_PERMISSION,
    );
    expect((await client.invoke(signRequest(create, "AK_ADMIN_1", ADMIN_SECRET))).code).toBe(
      ResponseCode.SUCCESS,
    );
    const ok = await client.invoke(signRequest(sendV2("Orders", "hello"), "AK_ALICE_1", SECRET));
    expect(ok.code).toBe(ResponseCode.SUCCESS);
    await waitFor(() => stored(broker, "Orders") === 1, 5000, "the signed message stored");
    expect(stored(broker, "Denied")).toBe(0);
    await broker.shutdown();
    const log = JSON.stringify(lines);
    expect(log).toContain("ACL enabled");
    for (const secret of [SECRET, WRONG_SECRET, ADMIN_SECRET]) expect(log).not.toContain(secret);
  });

  it("does not start without a readable ACL file, and says which", async () => {
    const dir = await tempDir();
    const broker = new BrokerController({
      storePathRootDir: dir,
      listenPort: 0,
      ...SMALL_STORE,
      aclEnable: true,
      aclFilePath: join(dir, "missing.yml"),
    });
    const error: unknown = await broker.start().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).message).toMatch(/missing\.yml cannot be read: ENOENT/);
    await expect(broker.start()).rejects.toThrow(/start\(\) on a broker that is stopped/);
  });

  it(
    "with the real ali-ons client: the right secret sends and consumes, a wrong secret and a DENY topic are refused",
    { tags: ["slow"] },
    async () => {
      const server = await namesrv();
      const nameSrv = `127.0.0.1:${server.listenPort}`;
      const { broker, lines } = await aclBroker(nameSrv);
      await waitFor(
        () => server.routeInfoManager.getClusterInfo().brokerAddrTable["broker-a"] !== undefined,
        5000,
        "the broker registered",
      );
      const keys = { accessKey: "AK_ALICE_1", secretKey: SECRET };
      const consumer = new AliOnsProcess({
        mode: "consume",
        nameSrv,
        topic: "ACL_T",
        group: "GID_ACL",
        ...keys,
      });
      await waitFor(
        () =>
          ((consumer.all("queues").at(-1)?.queues as string[] | undefined) ?? []).filter((key) =>
            key.includes('"ACL_T"'),
          ).length === 4,
        30_000,
        "the consumer owning the queues",
      );
      const producer = new AliOnsProcess({
        mode: "produce",
        nameSrv,
        topic: "ACL_T",
        group: "PID_ACL",
        count: 5,
        ...keys,
      });
      await producer.until(
        (events) => events.some((event) => event.event === "done"),
        30_000,
        "5 signed sends",
      );
      expect(producer.all("sent").map((event) => event.status)).toEqual(Array(5).fill("SEND_OK"));
      await consumer.until(
        (events) => events.filter((event) => event.event === "received").length >= 5,
        30_000,
        "5 deliveries",
      );

      const wrong = new AliOnsProcess({
        mode: "produce",
        nameSrv,
        topic: "ACL_T",
        group: "PID_ACL",
        count: 1,
        from: 100,
        continueOnError: true,
        accessKey: "AK_ALICE_1",
        secretKey: WRONG_SECRET,
      });
      await wrong.until(
        (events) => events.some((event) => event.event === "done"),
        30_000,
        "the refused send",
      );
      expect(wrong.all("sent")).toEqual([]);
      expect(wrong.all("send-failed")).toHaveLength(1);
      const denied = new AliOnsProcess({
        mode: "produce",
        nameSrv,
        topic: "Denied",
        group: "PID_ACL",
        count: 1,
        continueOnError: true,
        ...keys,
      });
      await denied.until(
        (events) => events.some((event) => event.event === "done"),
        30_000,
        "the send to a DENY topic",
      );
      expect(denied.all("send-failed")).toHaveLength(1);
      expect(stored(broker, "ACL_T")).toBe(5);
      expect(stored(broker, "Denied")).toBe(0);
      const log = JSON.stringify(lines);
      expect(log).toContain("Check signature failed for accessKey=AK_ALICE_1");
      expect(log).toContain("No permission for topic:Denied");
      for (const secret of [SECRET, WRONG_SECRET, ADMIN_SECRET]) expect(log).not.toContain(secret);
    },
  );
});
