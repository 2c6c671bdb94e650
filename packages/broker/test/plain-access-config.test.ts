import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BrokerError } from "../src/index.js";
import { loadPlainAclConfig, parsePlainAclConfig } from "../src/acl/plain-access-config.js";
import { Permission } from "../src/acl/permission.js";
import { tempDir } from "./helpers.js";

/** RocketMQ's distributed conf/plain_acl.yml, with a secret that starts with 0. */
const ROCKETMQ_SAMPLE = `globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.*

accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      # the group should convert to retry topic
      - groupA=DENY
      - groupB=PUB|SUB
      - groupC=SUB

  - accessKey: rocketmq2
    secretKey: 012345678
    whiteRemoteAddress: 192.168.1.*
    # if it is admin, it could access all resources
    admin: true
`;

async function fileWith(name: string, text: string): Promise<string> {
  const path = join(await tempDir(), name);
  await writeFile(path, text);
  return path;
}

async function loadError(name: string, text: string): Promise<BrokerError> {
  const error: unknown = await loadPlainAclConfig(await fileWith(name, text)).catch(
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BrokerError);
  expect((error as BrokerError).code).toBe("INVALID_CONFIG");
  return error as BrokerError;
}

describe("loadPlainAclConfig", () => {
  it("reads RocketMQ's plain_acl.yml: secrets as written, groups as %RETRY% resources, absent defaults DENY", async () => {
    const config = await loadPlainAclConfig(await fileWith("plain_acl.yml", ROCKETMQ_SAMPLE));
    expect(config.globalWhiteRemoteAddresses).toHaveLength(2);
    expect(config.globalWhiteRemoteAddresses[0]?.("10.10.103.7")).toBe(true);
    const first = config.accounts.get("RocketMQ");
    expect(first).toMatchObject({
      secretKey: "12345678",
      admin: false,
      defaultTopicPerm: Permission.DENY,
      defaultGroupPerm: Permission.SUB,
    });
    expect(Object.fromEntries(first?.resources ?? [])).toEqual({
      topicA: Permission.DENY,
      topicB: Permission.PUB | Permission.SUB,
      topicC: Permission.SUB,
      "%RETRY%groupA": Permission.DENY,
      "%RETRY%groupB": Permission.PUB | Permission.SUB,
      "%RETRY%groupC": Permission.SUB,
    });
    expect(first?.whiteRemoteAddress("127.0.0.1")).toBe(false);
    const second = config.accounts.get("rocketmq2");
    expect(second).toMatchObject({
      secretKey: "012345678",
      admin: true,
      defaultTopicPerm: Permission.DENY,
      defaultGroupPerm: Permission.DENY,
    });
    expect(second?.whiteRemoteAddress("192.168.1.5")).toBe(true);
  });

  it("reads the same model from JSON", async () => {
    const json = {
      accounts: [
        {
          accessKey: "AK_JSON_1",
          secretKey: 87654321,
          defaultTopicPerm: "PUB",
          topicPerms: ["T=SUB|PUB"],
        },
      ],
    };
    const config = await loadPlainAclConfig(await fileWith("acl.json", JSON.stringify(json)));
    expect(config.accounts.get("AK_JSON_1")).toMatchObject({
      secretKey: "87654321",
      defaultTopicPerm: Permission.PUB,
      admin: false,
    });
  });

  it("names what is wrong and never quotes a secret", async () => {
    const secret = "Sup3rSecret!value";
    const account = (extra: string) =>
      `accounts:\n  - accessKey: AK_BAD_1\n    secretKey: "${secret}"\n${extra}`;
    const cases: [string, string, RegExp][] = [
      [
        "a.yml",
        account("    topicPerms: [topicA=ALL]\n"),
        /accounts\[0\]\.topicPerms\[0\]: expected <name>=<DENY\|PUB\|SUB\|PUB\|SUB>, got "topicA=ALL"/,
      ],
      [
        "b.yml",
        account("    defaultGroupPerm: READ\n"),
        /defaultGroupPerm: expected DENY, PUB, SUB or PUB\|SUB/,
      ],
      ["c.yml", account("    admn: true\n"), /unknown key admn/],
      ["d.yml", account("    whiteRemoteAddress: 10.0.0.999\n"), /whiteRemoteAddress "10.0.0.999"/],
      [
        "e.yml",
        `${account("")}${account("").replace("accounts:\n", "")}`,
        /accessKey AK_BAD_1 appears twice/,
      ],
      [
        "f.yml",
        "accounts:\n  - accessKey: AK_SHORT\n    secretKey: short\n",
        /secretKey must be a string of more than 6 characters/,
      ],
      ["g.yml", `${account("")}    topicPerms: [a=PUB\n  - : ]] ${secret}\n`, /is not valid YAML/],
      [
        "h.json",
        `{"accounts":[{"accessKey":"AK_BAD_1","secretKey":"${secret}",}]}`,
        /is not valid JSON/,
      ],
    ];
    for (const [name, text, message] of cases) {
      const error = await loadError(name, text);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(secret);
      expect(error.cause === undefined ? "" : (error.cause as Error).message).not.toContain(secret);
    }
    expect((await loadError("missing.yml", "")).message).toMatch(/expected a map with accounts/);
  });

  it("says which file it cannot read", async () => {
    const error: unknown = await loadPlainAclConfig("/nonexistent/plain_acl.yml").catch(
      (caught: unknown) => caught,
    );
    expect((error as Error).message).toMatch(
      /the ACL file \/nonexistent\/plain_acl.yml cannot be read: ENOENT/,
    );
  });
});

describe("parsePlainAclConfig", () => {
  it("accepts a file without accounts (nobody gets in but the white addresses)", () => {
    expect(parsePlainAclConfig({ globalWhiteRemoteAddresses: ["127.0.0.1"] }).accounts.size).toBe(
      0,
    );
  });
});
