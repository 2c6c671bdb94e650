import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatIp,
  hostAddressToString,
  parseHostAddress,
  parseIpv4,
  parseIpv6,
} from "../src/host-address.js";

function hex(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString("hex");
}

describe("parseHostAddress", () => {
  it("parses IPv4 ip:port", () => {
    const host = parseHostAddress("127.0.0.1:10911");
    expect(hex(host?.ip)).toBe("7f000001");
    expect(host?.port).toBe(10911);
  });

  it("parses bracketed and bare IPv6, splitting a bare one at the last colon", () => {
    expect(hex(parseHostAddress("[::1]:124")?.ip)).toBe("00000000000000000000000000000001");
    expect(parseHostAddress("::1:124")?.port).toBe(124);
    expect(hex(parseHostAddress("1050:0:0:0:5:600:300c:326b:123")?.ip)).toBe(
      "105000000000000000050600300c326b",
    );
  });

  it("turns IPv4-mapped IPv6 (Node dual-stack sockets) into IPv4, as Java does", () => {
    expect(hex(parseHostAddress("[::ffff:127.0.0.1]:80")?.ip)).toBe("7f000001");
    expect(hex(parseHostAddress("::ffff:7f00:1:80")?.ip)).toBe("7f000001");
  });

  it("ignores an IPv6 zone id", () => {
    expect(hex(parseHostAddress("[fe80::1%eth0]:1")?.ip)).toBe("fe800000000000000000000000000001");
  });

  it.each([
    "",
    "127.0.0.1",
    "127.0.0.1:",
    "127.0.0.1:65536",
    "127.0.0.1:-1",
    "127.0.0.1:8a",
    "256.0.0.1:1",
    "1.2.3:1",
    "01.2.3.4:1",
    "localhost:80",
    "[::1]",
    "[::1]80",
    "1::2::3:80",
    "1:2:3:4:5:6:7:8:9:80",
    "[12345::]:80",
    "[::1.2.3.256]:80",
  ])("rejects %j", (text) => {
    expect(parseHostAddress(text)).toBeUndefined();
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("1", "f", ":", ".", "[", "]", "%", "x") }),
        (text) => {
          const host = parseHostAddress(text);
          expect(host === undefined || host.ip.length === 4 || host.ip.length === 16).toBe(true);
        },
      ),
    );
  });
});

describe("parseIpv4 / parseIpv6", () => {
  it("parses the full and compressed IPv6 forms to the same bytes", () => {
    expect(hex(parseIpv6("1050:0:0:0:5:600:300c:326b"))).toBe(
      hex(parseIpv6("1050::5:600:300c:326b")),
    );
    expect(hex(parseIpv6("::"))).toBe("0".repeat(32));
    expect(hex(parseIpv6("::1.2.3.4"))).toBe("000000000000000000000000" + "01020304");
  });

  it("rejects an IPv4 text without colons as IPv6", () => {
    expect(parseIpv6("1.2.3.4")).toBeUndefined();
    expect(parseIpv4("1.2.3.4.5")).toBeUndefined();
  });
});

describe("formatIp", () => {
  it("formats IPv4 dotted and IPv6 per RFC 5952", () => {
    expect(formatIp(Buffer.from("7f000001", "hex"), 0, 4)).toBe("127.0.0.1");
    expect(formatIp(parseIpv6("1050:0:0:0:5:600:300c:326b") ?? new Uint8Array(16), 0, 16)).toBe(
      "1050::5:600:300c:326b",
    );
    expect(formatIp(parseIpv6("::1") ?? new Uint8Array(16), 0, 16)).toBe("::1");
    expect(formatIp(new Uint8Array(16), 0, 16)).toBe("::");
    expect(formatIp(parseIpv6("1:0:2:0:0:3:0:0") ?? new Uint8Array(16), 0, 16)).toBe(
      "1:0:2::3:0:0",
    );
    expect(formatIp(parseIpv6("1:2:3:4:5:6:7:0") ?? new Uint8Array(16), 0, 16)).toBe(
      "1:2:3:4:5:6:7:0",
    );
  });

  it("round-trips any IPv6 address through text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(hex(parseIpv6(formatIp(bytes, 0, 16)))).toBe(hex(bytes));
      }),
    );
  });
});

describe("hostAddressToString", () => {
  it("brackets IPv6 and reads back the same host", () => {
    const host = parseHostAddress("1050:0:0:0:5:600:300c:326b:123");
    expect(host && hostAddressToString(host)).toBe("[1050::5:600:300c:326b]:123");
    expect(hostAddressToString({ ip: new Uint8Array([10, 0, 0, 1]), port: 9876 })).toBe(
      "10.0.0.1:9876",
    );
  });
});
