import { timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import { RemotingCommand } from "../remoting/remoting-command.js";
import { requestCodeName } from "../remoting/request-code.js";
import { ResponseCode } from "../remoting/response-code.js";
import type { RequestContext, RequestHook } from "../request-processor.js";
import { RETRY_GROUP_TOPIC_PREFIX } from "../topic/topic-config.js";
import { ACL_ACCESS_KEY, ACL_SIGNATURE, aclSignature, aclSignedContent } from "./acl-signature.js";
import { checkPermission, Permission, ADMIN_REQUEST_CODES } from "./permission.js";
import type { PlainAccount, PlainAclConfig } from "./plain-access-config.js";
import { loadPlainAclConfig } from "./plain-access-config.js";
import { neededPermissions } from "./plain-access-resource.js";
import { hostOfRemoteAddress } from "./remote-address-matcher.js";

/** Message traces may always be published (TopicValidator.RMQ_SYS_TRACE_TOPIC). */
const TRACE_TOPIC = "RMQ_SYS_TRACE_TOPIC";

/**
 * RocketMQ ACL 1.0 on every request (PlainAccessValidator + PlainPermissionManager.validate), in
 * Java's order: a client from a global white address passes; else the request must name a known
 * AccessKey; a client from that account's white address passes; else the Signature must match
 * (HMAC-SHA1 with the account's secret, compared in constant time); then an admin account passes,
 * admin-only codes are refused, and every resource the request needs (see neededPermissions) must
 * be granted by the account's own entry for it or by its default topic / group permission.
 * Refusals are answered NO_PERMISSION (16) with RocketMQ's remark; no remark or log line carries a
 * secret.
 */
export class PlainAccessValidator {
  readonly #config: PlainAclConfig;
  readonly #logger: Logger;
  readonly hook: RequestHook;

  constructor(config: PlainAclConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    this.hook = (request, context) => this.#refusal(request, context);
  }

  /** Reads plain_acl.yml (or .json). @throws BrokerError INVALID_CONFIG. */
  static async load(path: string, logger: Logger): Promise<PlainAccessValidator> {
    const config = await loadPlainAclConfig(path);
    logger.info(
      {
        aclFile: path,
        accounts: config.accounts.size,
        globalWhiteRemoteAddresses: config.globalWhiteRemoteAddresses.length,
      },
      "ACL enabled",
    );
    return new PlainAccessValidator(config, logger);
  }

  /** Why `request` from `remoteAddress` (`ip:port`) is refused, or null when it may go on. */
  check(request: RemotingCommand, remoteAddress: string): string | null {
    const ip = hostOfRemoteAddress(remoteAddress);
    if (this.#config.globalWhiteRemoteAddresses.some((matches) => matches(ip))) return null;
    const accessKey = Object.hasOwn(request.extFields, ACL_ACCESS_KEY)
      ? request.extFields[ACL_ACCESS_KEY]
      : undefined;
    if (accessKey === undefined) return "No accessKey is configured";
    const account = this.#config.accounts.get(accessKey);
    if (account === undefined) return `No acl config for ${accessKey.slice(0, 100)}`;
    if (account.whiteRemoteAddress(ip)) return null;
    if (!signatureMatches(request, account.secretKey))
      return `Check signature failed for accessKey=${account.accessKey}`;
    let needed: Map<string, number>;
    try {
      needed = neededPermissions(request);
    } catch (error) {
      return `Failed to read the request's resources: ${(error as Error).message}`;
    }
    if (needed.get(TRACE_TOPIC) === Permission.PUB) return null;
    return permissionRefusal(request.code, needed, account);
  }

  #refusal(request: RemotingCommand, context: RequestContext): RemotingCommand | null {
    const refusal = this.check(request, context.connection.remoteAddress);
    if (refusal === null) return null;
    this.#logger.debug(
      {
        remote: context.connection.remoteAddress,
        code: requestCodeName(request.code),
        reason: refusal,
      },
      "request refused by ACL",
    );
    return RemotingCommand.response(request, ResponseCode.NO_PERMISSION, refusal);
  }
}

function signatureMatches(request: RemotingCommand, secretKey: string): boolean {
  const given = Object.hasOwn(request.extFields, ACL_SIGNATURE)
    ? request.extFields[ACL_SIGNATURE]
    : undefined;
  if (given === undefined) return false;
  const expected = Buffer.from(
    aclSignature(aclSignedContent(request.extFields, request.body, request.version), secretKey),
  );
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** PlainPermissionChecker.check: null when the account may do all `needed`, else why not. */
function permissionRefusal(
  code: number,
  needed: ReadonlyMap<string, number>,
  account: PlainAccount,
): string | null {
  if (account.admin) return null;
  if (ADMIN_REQUEST_CODES.has(code))
    return `Need admin permission for request code=${code}, but accessKey=${account.accessKey} is not`;
  for (const [resource, bits] of needed) {
    const isGroup = resource.startsWith(RETRY_GROUP_TOPIC_PREFIX);
    const name = isGroup
      ? `group:${resource.slice(RETRY_GROUP_TOPIC_PREFIX.length)}`
      : `topic:${resource}`;
    const owned = account.resources.get(resource);
    if (owned === undefined) {
      if (!checkPermission(bits, isGroup ? account.defaultGroupPerm : account.defaultTopicPerm))
        return `No default permission for ${name}`;
    } else if (!checkPermission(bits, owned)) {
      return `No permission for ${name}`;
    }
  }
  return null;
}
