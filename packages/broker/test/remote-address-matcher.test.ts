import { describe, expect, it } from "vitest";
import { hostOfRemoteAddress, remoteAddressMatcher } from "../src/acl/remote-address-matcher.js";

describe("remoteAddressMatcher", () => {
  it("matches RocketMQ's pattern forms", () => {
    const cases: [string | undefined, string[], string[]][] = [
      [undefined, [], ["127.0.0.1"]],
      ["", [], ["127.0.0.1"]],
      ["*", ["127.0.0.1", "::1"], []],
      ["*.*.*.*", ["10.1.2.3"], []],
      ["192.168.0.{1,2,3}", ["192.168.0.1", "192.168.0.3"], ["192.168.0.4", "192.168.1.1"]],
      ["10.0.0.1,10.0.0.2", ["10.0.0.2"], ["10.0.0.3"]],
      ["192.168.*", ["192.168.7.9"], ["192.169.0.1"]],
      ["192.168.1.*", ["192.168.1.200"], ["192.168.2.1"]],
      ["192.168.1.10-20", ["192.168.1.10", "192.168.1.20"], ["192.168.1.9", "192.168.1.21"]],
      ["127.0.0.1", ["127.0.0.1", "::ffff:127.0.0.1"], ["127.0.0.2"]],
      ["::1", ["::1"], ["127.0.0.1"]],
    ];
    for (const [pattern, yes, no] of cases) {
      const matches = remoteAddressMatcher(pattern);
      for (const ip of yes) expect([pattern, ip, matches(ip)]).toEqual([pattern, ip, true]);
      for (const ip of no) expect([pattern, ip, matches(ip)]).toEqual([pattern, ip, false]);
    }
  });

  it("refuses a pattern it cannot read, naming it", () => {
    for (const pattern of [
      "192.168.1.300",
      "host.example",
      "192.*.1.1",
      "192.168.1.20-10",
      "192.168.{1,2}.1",
      "1.2.3.4,x",
    ]) {
      expect(() => remoteAddressMatcher(pattern)).toThrow(/whiteRemoteAddress/);
    }
  });
});

describe("hostOfRemoteAddress", () => {
  it("takes the IP of ip:port, IPv4-mapped IPv6 as IPv4", () => {
    expect(hostOfRemoteAddress("127.0.0.1:5000")).toBe("127.0.0.1");
    expect(hostOfRemoteAddress("::ffff:10.0.0.1:5000")).toBe("10.0.0.1");
    expect(hostOfRemoteAddress("::1:5000")).toBe("::1");
  });
});
