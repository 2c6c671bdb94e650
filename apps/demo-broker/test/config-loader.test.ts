import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/config-error.js";
import type { CommandLine } from "../src/config-loader.js";
import { parseCommandLine, parseConfigText } from "../src/config-loader.js";
import type { DemoConfig } from "../src/config-schema.js";
import { brokerConfigOf } from "../src/config-schema.js";

function run(
  argv: string[],
  files: Record<string, string> = {},
): Extract<CommandLine, { kind: "run" }> {
  const readFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
    return text;
  };
  const parsed = parseCommandLine(argv, { readFile, cwd: "/srv/broker" });
  if (parsed.kind !== "run") throw new Error("expected a run");
  return parsed;
}

const config = (argv: string[], files?: Record<string, string>): DemoConfig =>
  run(argv, files).config;

function refusal(argv: string[], files?: Record<string, string>): string {
  try {
    run(argv, files);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe("INVALID_CONFIG");
    return (error as Error).message;
  }
  throw new Error(`${argv.join(" ")} was accepted`);
}

describe("parseCommandLine", () => {
  it("fills the embedded defaults: DESIGN's ports, the store in ./data under the working directory", () => {
    const c = config([]);
    expect([c.listenPort, c.namesrvPort, c.httpPort, c.grpcPort, c.enableGrpc]).toEqual([
      10911,
      9876,
      8080,
      8081,
      true,
    ]);
    expect(c.storePathRootDir).toBe("/srv/broker/data");
    expect(c.flushDiskType).toBe("ASYNC_FLUSH");
    expect(c.transientStorePoolEnable).toBe(false);
    expect(c.mappedFileSizeCommitLog).toBe(64 * 1024 * 1024);
    expect([c.brokerName, c.brokerClusterName, c.brokerId, c.maxReconsumeTimes]).toEqual([
      "broker-a",
      "DefaultCluster",
      0,
      16,
    ]);
    expect(c.storeHost).toBeUndefined(); // the broker derives brokerIP1:<bound listenPort>
    expect(c.brokerIP1).toBe("127.0.0.1");
  });

  it("reads a broker.conf and lets --key=value override it, each value typed by its key", () => {
    const files = {
      "broker.conf":
        "# RocketMQ broker.conf\nbrokerName = broker-b\nflushDiskType=SYNC_FLUSH\ndeleteWhen=04\n! old comment\nflushIntervalCommitLog=250\n",
    };
    const c = config(
      [
        "-c",
        "broker.conf",
        "--flushIntervalCommitLog=100",
        "--enableGrpc=FALSE",
        "--storePathRootDir=/var/store",
      ],
      files,
    );
    expect(c.brokerName).toBe("broker-b");
    expect(c.flushDiskType).toBe("SYNC_FLUSH");
    expect(c.deleteWhen).toBe("04");
    expect(c.flushIntervalCommitLog).toBe(100);
    expect(c.enableGrpc).toBe(false);
    expect(c.storePathRootDir).toBe("/var/store");
  });

  it("reads a JSON config, numbers given as numbers or strings", () => {
    const c = config(["--config=b.json"], {
      "b.json": JSON.stringify({
        flushDiskType: "SYNC_FLUSH",
        syncFlushTimeout: 100,
        listenPort: "10000",
      }),
    });
    expect([c.flushDiskType, c.syncFlushTimeout, c.listenPort]).toEqual(["SYNC_FLUSH", 100, 10000]);
  });

  it("keeps an explicit storeHost and passes the broker its keys only (not the app's ports)", () => {
    const c = config(["--storeHost=10.0.0.1:10911", "--transientStorePoolEnable=true"]);
    const broker = brokerConfigOf(c);
    expect(broker.storeHost).toBe("10.0.0.1:10911");
    expect(broker.transientStorePoolEnable).toBe(true);
    expect(broker.brokerName).toBe("broker-a");
    expect(Object.keys(broker)).not.toContain("httpPort");
    expect(Object.keys(broker)).not.toContain("enableGrpc");
  });

  it("refuses a bad value naming where it came from, the key, the value and the expected form", () => {
    expect(refusal(["--flushDiskType=FOO"])).toBe(
      "command line: flushDiskType=FOO is invalid; expected SYNC_FLUSH or ASYNC_FLUSH",
    );
    expect(refusal(["--flushIntervalCommitLog=-5"])).toContain(
      "flushIntervalCommitLog=-5 is invalid; expected an integer in [1, 2147483647]",
    );
    expect(refusal(["--listenPort=99999"])).toContain(
      "listenPort=99999 is invalid; expected an integer in [0, 65535]",
    );
    expect(refusal(["--listenPort=abc"])).toContain(
      "listenPort=abc is invalid; expected an integer in [0, 65535]",
    );
    expect(refusal(["--aclEnable=yes"])).toContain(
      "aclEnable=yes is invalid; expected true or false",
    );
    expect(refusal(["--storeHost=nohost"])).toContain(
      "storeHost=nohost is invalid; expected ip:port",
    );
    expect(refusal(["--brokerIP1=10.0.0"])).toContain("expected an IPv4 address");
    expect(refusal(["-c", "broker.conf"], { "broker.conf": "\nmaxMessageSize=1\n" })).toMatch(
      /^broker.conf:2: maxMessageSize=1 is invalid/,
    );
    expect(refusal(["-c", "b.json"], { "b.json": '{"brokerName":""}' })).toBe(
      'b.json: brokerName="" is invalid; expected text matching ^[%|a-zA-Z0-9_-]{1,127}$',
    );
  });

  it("reports every bad key at once, one per line", () => {
    const message = refusal(["--flushDiskType=FOO", "--httpPort=-1"]);
    expect(message.split("\n")).toHaveLength(2);
  });

  it("accepts a RocketMQ key it does not implement with one warning line each", () => {
    const parsed = run(["-c", "broker.conf"], {
      "broker.conf": "brokerRole=ASYNC_MASTER\nsendMessageThreadPoolNums=4\nlistenPort=10912\n",
    });
    expect(parsed.config.listenPort).toBe(10912);
    expect(parsed.warnings).toEqual([
      "broker.conf:1: brokerRole is a RocketMQ broker key this broker ignores",
      "broker.conf:2: sendMessageThreadPoolNums is a RocketMQ broker key this broker ignores",
    ]);
    expect(parsed.config).not.toHaveProperty("brokerRole");
  });

  it("refuses an unknown key with the nearest known name", () => {
    expect(refusal(["--flushDiskTyp=SYNC_FLUSH"])).toBe(
      "command line: unknown config key flushDiskTyp; did you mean flushDiskType?",
    );
    expect(refusal(["--listenprot=1"])).toContain("did you mean listenPort?");
    expect(refusal(["--brokerRol=SLAVE"])).toContain("did you mean brokerRole?");
    expect(refusal(["--colour=blue"])).toContain(
      "unknown config key colour; see demo-broker --help for the keys",
    );
  });

  it("answers --help and -h, and ignores a lone --", () => {
    expect(parseCommandLine(["--help"]).kind).toBe("help");
    expect(parseCommandLine(["--listenPort=1", "-h"]).kind).toBe("help");
    expect(config(["--", "--flushDiskType=SYNC_FLUSH"]).flushDiskType).toBe("SYNC_FLUSH");
  });

  it("refuses stray arguments, a missing file name and an unreadable file", () => {
    expect(refusal(["stray"])).toContain('unexpected argument "stray"; usage: demo-broker');
    expect(refusal(["--aclEnable"])).toContain('unexpected argument "--aclEnable"');
    expect(refusal(["-c"])).toContain("-c needs a file name");
    expect(refusal(["-c", "missing.conf"])).toContain(
      "cannot read config file missing.conf: ENOENT",
    );
  });
});

describe("parseConfigText", () => {
  it("rejects a line that is not key=value, naming file and line", () => {
    expect(() => parseConfigText("flushDiskType SYNC_FLUSH", "broker.conf")).toThrow(
      "broker.conf:1: expected key=value",
    );
  });

  it("rejects JSON that is not an object of keys", () => {
    expect(() => parseConfigText("[1,2]", "b.json")).toThrow("expected a JSON object");
    expect(() => parseConfigText("{", "b.json")).toThrow("b.json: not valid JSON");
  });
});
