/**
 * RocketMQ ACL 1.0 permission bits and checks (Permission.java): an account owns DENY, PUB, SUB or
 * PUB|SUB per topic and per group, and a request needs PUB, SUB or ANY of its resources.
 */

export const Permission = {
  DENY: 1,
  /** Needed: PUB or SUB will do. */
  ANY: 2,
  PUB: 4,
  SUB: 8,
} as const;

/** The spellings plain_acl.yml allows, with their bits. */
const PERMISSION_NAMES: Record<string, number> = {
  DENY: Permission.DENY,
  PUB: Permission.PUB,
  SUB: Permission.SUB,
  "PUB|SUB": Permission.PUB | Permission.SUB,
  "SUB|PUB": Permission.PUB | Permission.SUB,
};

/**
 * Request codes only an admin account may send (Permission.ADMIN_CODE): UPDATE_AND_CREATE_TOPIC,
 * UPDATE_BROKER_CONFIG, UPDATE_AND_CREATE_ACL_CONFIG, DELETE_ACL_CONFIG, GET_BROKER_CLUSTER_ACL_INFO,
 * UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, DELETE_SUBSCRIPTIONGROUP, DELETE_TOPIC_IN_BROKER,
 * UPDATE_AND_CREATE_STATIC_TOPIC.
 */
export const ADMIN_REQUEST_CODES: ReadonlySet<number> = new Set([
  17, 25, 50, 51, 52, 200, 207, 215, 513,
]);

/** The bits of a permission name (trimmed), or null when it is not one of DENY, PUB, SUB, PUB|SUB, SUB|PUB. */
export function parsePermission(name: string): number | null {
  return PERMISSION_NAMES[name.trim()] ?? null;
}

/** Whether `owned` grants `needed` (Permission.checkPermission): DENY never does; ANY takes PUB or SUB. */
export function checkPermission(needed: number, owned: number): boolean {
  if ((owned & Permission.DENY) !== 0) return false;
  if ((needed & Permission.ANY) !== 0) return (owned & (Permission.PUB | Permission.SUB)) !== 0;
  return (needed & owned) !== 0;
}
