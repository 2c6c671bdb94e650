/**
 * Host addresses as the record stores them: a 4- or 16-byte IP followed by an int32 port.
 * Text forms accepted: `"a.b.c.d:port"`, `"[ipv6]:port"` and `"ipv6:port"` (split at the last
 * colon, as RocketMQ's `string2SocketAddress`). IPv4-mapped IPv6 (`::ffff:a.b.c.d`, what Node
 * reports on dual-stack sockets) becomes IPv4, as Java's `InetAddress` does, so the record keeps
 * the 8-byte host form that every RocketMQ 4.x client can read.
 */

/** A parsed host: the IP bytes (4 or 16) and the port. */
export interface HostAddress {
  /** 4 (IPv4) or 16 (IPv6) bytes, network order. */
  readonly ip: Uint8Array;
  /** 0..65535. */
  readonly port: number;
}

const DECIMAL_OCTET = /^(?:0|[1-9]\d{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const PORT = /^\d{1,5}$/;

/**
 * Parses `"ip:port"` (IPv4, bracketed or bare IPv6). Never throws.
 * @param text - the host text.
 * @returns the host, or `undefined` if the text is not a valid host.
 */
export function parseHostAddress(text: string): HostAddress | undefined {
  if (typeof text !== "string") {
    return undefined;
  }
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0 || text[close + 1] !== ":") {
      return undefined;
    }
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) {
      return undefined;
    }
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  const port = PORT.test(portText) ? Number(portText) : -1;
  const ip = host.includes(":") ? parseIpv6(host) : parseIpv4(host);
  if (ip === undefined || port < 0 || port > 65535) {
    return undefined;
  }
  return { ip: unmapIpv4(ip), port };
}

/**
 * Parses dotted-decimal IPv4 (no leading zeros, which some parsers read as octal).
 * @param text - e.g. `"127.0.0.1"`.
 * @returns 4 bytes, or `undefined`.
 */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) {
    return undefined;
  }
  const ip = new Uint8Array(4);
  for (let index = 0; index < 4; index += 1) {
    const part = parts[index] ?? "";
    const value = DECIMAL_OCTET.test(part) ? Number(part) : 256;
    if (value > 255) {
      return undefined;
    }
    ip[index] = value;
  }
  return ip;
}

/**
 * Parses IPv6 text: hex groups, at most one `::`, an optional dotted IPv4 tail and an optional
 * `%zone` (ignored: the record has no room for it).
 * @param input - e.g. `"1050:0:0:0:5:600:300c:326b"` or `"::1"`.
 * @returns 16 bytes, or `undefined`.
 */
export function parseIpv6(input: string): Uint8Array | undefined {
  const zone = input.indexOf("%");
  let text = zone >= 0 ? input.slice(0, zone) : input;
  let ipv4Tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    ipv4Tail = parseIpv4(text.slice(lastColon + 1));
    if (ipv4Tail === undefined) {
      return undefined;
    }
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const groups = expandIpv6Groups(text);
  if (groups === undefined) {
    return undefined;
  }
  const ip = new Uint8Array(16);
  groups.forEach((group, index) => {
    ip[index * 2] = group >>> 8;
    ip[index * 2 + 1] = group & 0xff;
  });
  if (ipv4Tail !== undefined) {
    ip.set(ipv4Tail, 12);
  }
  return ip;
}

function expandIpv6Groups(text: string): number[] | undefined {
  const doubleColon = text.indexOf("::");
  if (doubleColon >= 0 && text.indexOf("::", doubleColon + 1) >= 0) {
    return undefined;
  }
  const head = doubleColon < 0 ? text : text.slice(0, doubleColon);
  const tail = doubleColon < 0 ? "" : text.slice(doubleColon + 2);
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === "" ? [] : tail.split(":");
  const present = headGroups.length + tailGroups.length;
  if (doubleColon < 0 ? present !== 8 : present > 7) {
    return undefined;
  }
  const all = [...headGroups, ...new Array<string>(8 - present).fill("0"), ...tailGroups];
  if (!all.every((group) => HEX_GROUP.test(group))) {
    return undefined;
  }
  return all.map((group) => Number.parseInt(group, 16));
}

/** IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes its 4-byte IPv4 address, as in Java. */
function unmapIpv4(ip: Uint8Array): Uint8Array {
  if (ip.length !== 16) {
    return ip;
  }
  for (let index = 0; index < 10; index += 1) {
    if (ip[index] !== 0) {
      return ip;
    }
  }
  return ip[10] === 0xff && ip[11] === 0xff ? ip.slice(12) : ip;
}

/**
 * Formats an IP read from a buffer: dotted decimal for 4 bytes, RFC 5952 text (lowercase, longest
 * zero run as `::`) for 16.
 *
 * @param source - the buffer.
 * @param offset - first IP byte.
 * @param ipLength - 4 or 16; the caller guarantees the bytes are readable.
 */
export function formatIp(source: Uint8Array, offset: number, ipLength: 4 | 16): string {
  if (ipLength === 4) {
    return `${source[offset]}.${source[offset + 1]}.${source[offset + 2]}.${source[offset + 3]}`;
  }
  const groups: number[] = [];
  for (let index = 0; index < 8; index += 1) {
    groups.push(((source[offset + index * 2] ?? 0) << 8) | (source[offset + index * 2 + 1] ?? 0));
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start += 1) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) {
      length += 1;
    }
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) {
    return hex.join(":");
  }
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}

/**
 * Formats an IP and a port as `"a.b.c.d:port"` or `"[ipv6]:port"` (brackets keep it unambiguous;
 * {@link parseHostAddress} reads both forms back).
 *
 * @param ip - the IP text from {@link formatIp}.
 * @param ipLength - 4 or 16.
 * @param port - the port (a corrupt record may carry any int32; it is printed as is).
 */
export function formatHostAddress(ip: string, ipLength: 4 | 16, port: number): string {
  return ipLength === 4 ? `${ip}:${port}` : `[${ip}]:${port}`;
}

/**
 * Formats a parsed host back to text ({@link formatHostAddress} of its bytes).
 * @param host - a parsed host.
 */
export function hostAddressToString(host: HostAddress): string {
  const ipLength = host.ip.length === 4 ? 4 : 16;
  return formatHostAddress(formatIp(host.ip, 0, ipLength), ipLength, host.port);
}
