import { crc32, deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { HeaderFieldError, RemotingCommand, RequestCode } from "../src/index.js";
import {
  decodeRegisterBrokerRequest,
  encodeRegisterBrokerRequest,
} from "../src/remoting/register-broker/request.js";

const JAVA_HEADER = {
  brokerName: "broker-java",
  brokerAddr: "10.0.0.7:10911",
  clusterName: "DefaultCluster",
  haServerAddr: "10.0.0.7:10912",
  brokerId: "0",
  enableActingMaster: "false",
  compressed: "false",
  bodyCrc32: "0",
};

/** What fastjson writes for a RocketMQ 5 broker's RegisterBrokerBody: fields sorted, static-topic maps with bare int keys. */
const JAVA_BODY =
  '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":7,"stateVersion":0,"timestamp":1700000000000},' +
  '"mappingDataVersion":{"counter":0,"stateVersion":0,"timestamp":1700000000001},"topicConfigTable":{' +
  '"TBW102":{"attributes":{},"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8},' +
  '"OrderTopic":{"attributes":{"+message.type":"FIFO"},"order":true,"perm":6,"readQueueNums":2,"topicFilterType":"SINGLE_TAG","topicName":"OrderTopic","topicSysFlag":0,"writeQueueNums":2}},' +
  '"topicQueueMappingDetailMap":{"Static":{"hostedQueues":{0:[{"bname":"broker-java","gen":0,"logicOffset":0,"queueId":0}]}}},"topicQueueMappingInfoMap":{}}}';

function request(fields: Record<string, string>, body: Buffer): RemotingCommand {
  return RemotingCommand.request(RequestCode.REGISTER_BROKER, 1, fields, body);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  return Buffer.concat([int32(bytes.length), bytes]);
}

/** RegisterBrokerBody.encode(true) of the Java broker, written out step by step. */
function javaCompressedBody(withMappings: boolean): Buffer {
  const parts = [
    lengthPrefixed('{"counter":3,"stateVersion":0,"timestamp":1700000000000}'),
    int32(2),
    lengthPrefixed("TBW102 8 8 7 SINGLE_TAG {}"),
    lengthPrefixed('Orders 4 4 6 SINGLE_TAG {"+message.type":"NORMAL"}'),
    lengthPrefixed("[]"),
  ];
  if (withMappings) parts.push(int32(0));
  return deflateSync(Buffer.concat(parts), { level: 9 });
}

describe("REGISTER_BROKER request", () => {
  it("reads what a RocketMQ 5 broker sends: fastjson body with extra fields and bare integer keys", () => {
    const body = Buffer.from(JAVA_BODY);
    const { header, body: decoded } = decodeRegisterBrokerRequest(
      request({ ...JAVA_HEADER, bodyCrc32: String(crc32(body) & 0x7fffffff) }, body),
    );
    expect(header).toEqual({
      brokerName: "broker-java",
      brokerAddr: "10.0.0.7:10911",
      clusterName: "DefaultCluster",
      haServerAddr: "10.0.0.7:10912",
      brokerId: 0,
      heartbeatTimeoutMillis: undefined,
    });
    expect(decoded.dataVersion).toEqual({ timestamp: 1_700_000_000_000, counter: 7 });
    expect(Object.fromEntries(decoded.topics)).toEqual({
      TBW102: { readQueueNums: 8, writeQueueNums: 8, perm: 7, topicSysFlag: 0 },
      OrderTopic: { readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 },
    });
  });

  it("reads a compressed body in Java's binary form, with and without the RocketMQ 5 mapping section", () => {
    for (const withMappings of [false, true]) {
      const { body } = decodeRegisterBrokerRequest(
        request({ ...JAVA_HEADER, compressed: "true" }, javaCompressedBody(withMappings)),
      );
      expect(body.dataVersion).toEqual({ timestamp: 1_700_000_000_000, counter: 3 });
      expect(Object.fromEntries(body.topics)).toEqual({
        TBW102: { readQueueNums: 8, writeQueueNums: 8, perm: 7, topicSysFlag: 0 },
        Orders: { readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
      });
    }
  });

  it("reads a compressed body that is deflated JSON", () => {
    const { body } = decodeRegisterBrokerRequest(
      request({ ...JAVA_HEADER, compressed: "true" }, deflateSync(Buffer.from(JAVA_BODY))),
    );
    expect([...body.topics.keys()]).toEqual(["TBW102", "OrderTopic"]);
  });

  it("refuses a body whose crc does not match, one that does not inflate, and one cut short, naming the field", () => {
    const body = Buffer.from(JAVA_BODY);
    const cases: [Record<string, string>, Buffer, string, RegExp][] = [
      [{ ...JAVA_HEADER, bodyCrc32: "12345" }, body, "bodyCrc32", /crc32 not match/],
      [{ ...JAVA_HEADER, compressed: "true" }, body, "body", /does not inflate/],
      [
        { ...JAVA_HEADER, compressed: "true" },
        deflateSync(
          Buffer.concat([lengthPrefixed("{}"), int32(5), lengthPrefixed("A 1 1 6 SINGLE_TAG")]),
        ),
        "body",
        /ends early/,
      ],
      [
        { ...JAVA_HEADER, compressed: "true" },
        deflateSync(
          Buffer.concat([lengthPrefixed("{}"), int32(1), lengthPrefixed("A x 1 6 SINGLE_TAG")]),
        ),
        "body",
        /bad topic entry/,
      ],
      [
        JAVA_HEADER,
        Buffer.from('{"topicConfigSerializeWrapper":{"topicConfigTable":{"A":{"perm":6}}}}'),
        "body",
        /lacks readQueueNums/,
      ],
      [JAVA_HEADER, Buffer.from("not json"), "body", /expected RegisterBrokerBody JSON/],
    ];
    for (const [fields, payload, field, message] of cases) {
      let thrown: unknown;
      try {
        decodeRegisterBrokerRequest(request(fields, payload));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(HeaderFieldError);
      expect((thrown as HeaderFieldError).field).toBe(field);
      expect((thrown as Error).message).toMatch(message);
    }
  });

  it("encodes Java's header fields as strings, the JSON body and its crc, and reads back what it wrote", () => {
    const topics = [
      {
        topicName: "Orders",
        readQueueNums: 4,
        writeQueueNums: 4,
        perm: 6,
        topicFilterType: "SINGLE_TAG",
        topicSysFlag: 0,
        order: false,
      },
    ];
    const identity = {
      brokerName: "broker-a",
      brokerAddr: "127.0.0.1:10911",
      clusterName: "DefaultCluster",
      haServerAddr: "",
      brokerId: 0,
    };
    const command = encodeRegisterBrokerRequest(identity, topics, {
      timestamp: 1_700_000_000_000,
      counter: 2,
    });
    expect(command.code).toBe(103);
    const body = command.body ?? Buffer.alloc(0);
    expect(command.extFields).toEqual({
      brokerName: "broker-a",
      brokerAddr: "127.0.0.1:10911",
      clusterName: "DefaultCluster",
      haServerAddr: "",
      brokerId: "0",
      enableActingMaster: "false",
      compressed: "false",
      bodyCrc32: String(crc32(body) & 0x7fffffff),
    });
    expect(JSON.parse(body.toString())).toEqual({
      filterServerList: [],
      topicConfigSerializeWrapper: {
        dataVersion: { counter: 2, stateVersion: 0, timestamp: 1_700_000_000_000 },
        topicConfigTable: {
          Orders: {
            attributes: {},
            order: false,
            perm: 6,
            readQueueNums: 4,
            topicFilterType: "SINGLE_TAG",
            topicName: "Orders",
            topicSysFlag: 0,
            writeQueueNums: 4,
          },
        },
      },
    });
    const decoded = decodeRegisterBrokerRequest(
      RemotingCommand.decode(command.withOpaque(5).encode().subarray(4)),
    );
    expect(decoded.header.brokerName).toBe("broker-a");
    expect(decoded.body.topics.get("Orders")).toEqual({
      readQueueNums: 4,
      writeQueueNums: 4,
      perm: 6,
      topicSysFlag: 0,
    });
  });
});
