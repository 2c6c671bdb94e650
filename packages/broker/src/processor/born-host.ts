/**
 * The `ip:port` to record as a message's born host from a connection's remote address. IPv4 peers of
 * a dual-stack socket show as `::ffff:a.b.c.d`: stored as IPv4, because ali-ons reads only IPv4 hosts.
 */
export function bornHostOf(remoteAddress: string): string | undefined {
  const at = remoteAddress.lastIndexOf(":");
  if (at <= 0) return undefined;
  let ip = remoteAddress.slice(0, at);
  const port = remoteAddress.slice(at + 1);
  if (ip.startsWith("::ffff:") && ip.includes(".")) ip = ip.slice(7);
  if (ip === "?" || !/^\d+$/.test(port)) return undefined;
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
