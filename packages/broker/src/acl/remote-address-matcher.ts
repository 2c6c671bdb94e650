import { isIPv4, isIPv6 } from "node:net";
import { BrokerError } from "../broker-error.js";

/** Whether a client address (its IP, no port) matches a whiteRemoteAddress pattern. */
export type RemoteAddressMatcher = (ip: string) => boolean;

/**
 * The matcher of a plain_acl.yml address pattern (RemoteAddressStrategyFactory): blank matches
 * nothing; `*` (or `*.*.*.*`) everything; `192.168.0.{1,2,3}` and `10.0.0.1,10.0.0.2` those
 * addresses; `192.168.*` or `192.168.1.10-20` an IPv4 range (a `*` or `a-b` segment, `*` after);
 * anything else one exact address. IPv4-mapped IPv6 clients (`::ffff:10.0.0.1`) match as IPv4.
 * @throws BrokerError INVALID_CONFIG for a pattern that is none of these.
 */
export function remoteAddressMatcher(pattern: string | undefined): RemoteAddressMatcher {
  const text = (pattern ?? "").trim();
  if (text === "") return () => false;
  if (text === "*" || text === "*.*.*.*" || text === "*:*:*:*:*:*:*:*") return () => true;
  if (text.endsWith("}")) {
    const open = text.lastIndexOf("{");
    const prefix = text.slice(0, open);
    if (open < 0 || (!prefix.endsWith(".") && !prefix.endsWith(":"))) throw badPattern(text);
    return exactSet(
      text
        .slice(open + 1, -1)
        .split(",")
        .map((last) => prefix + last.trim()),
      text,
    );
  }
  if (text.includes(","))
    return exactSet(
      text.split(",").map((part) => part.trim()),
      text,
    );
  if (text.includes("*") || text.includes("-")) return ipv4Range(text);
  return exactSet([text], text);
}

/** The IP of `ip:port` (Java: up to the last colon), IPv4-mapped addresses as IPv4. */
export function hostOfRemoteAddress(remoteAddress: string): string {
  const colon = remoteAddress.lastIndexOf(":");
  const host = colon < 0 ? remoteAddress : remoteAddress.slice(0, colon);
  return normalize(host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);
}

function normalize(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(ip);
  return mapped !== null ? (mapped[1] as string) : ip.toLowerCase();
}

function exactSet(addresses: string[], pattern: string): RemoteAddressMatcher {
  for (const address of addresses)
    if (!isIPv4(address) && !isIPv6(address)) throw badPattern(pattern);
  const set = new Set(addresses.map(normalize));
  return (ip) => set.has(normalize(ip));
}

/** `a.b.*`, `a.b.c.*`, `a.b.c.x-y`, `a.*.*.*`: exact segments, then one `*` or range, then only `*`. */
function ipv4Range(pattern: string): RemoteAddressMatcher {
  const segments = pattern.split(".");
  if (segments.length < 2 || segments.length > 4) throw badPattern(pattern);
  const ranges: [number, number][] = [];
  let open = false;
  for (const segment of segments) {
    const range = segmentRange(segment.trim(), pattern);
    if (open && !(range[0] === 0 && range[1] === 255)) throw badPattern(pattern);
    open ||= range[0] !== range[1];
    ranges.push(range);
  }
  if (!open) throw badPattern(pattern);
  while (ranges.length < 4) ranges.push([0, 255]);
  return (ip) => {
    const address = normalize(ip);
    if (!isIPv4(address)) return false;
    return address.split(".").every((part, index) => {
      const [low, high] = ranges[index] as [number, number];
      return Number(part) >= low && Number(part) <= high;
    });
  };
}

function segmentRange(segment: string, pattern: string): [number, number] {
  if (segment === "*") return [0, 255];
  const match = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(segment);
  if (match === null) throw badPattern(pattern);
  const low = Number(match[1]);
  const high = match[2] === undefined ? low : Number(match[2]);
  if (low > high || high > 255) throw badPattern(pattern);
  return [low, high];
}

function badPattern(pattern: string): BrokerError {
  return new BrokerError(
    "INVALID_CONFIG",
    `whiteRemoteAddress ${JSON.stringify(
      pattern.slice(0, 100),
    )} is not an address, a list, a {a,b} set or an IPv4 range such as 192.168.1.*`,
  );
}
