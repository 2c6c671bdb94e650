/*
 * RocketMQ ACL 1.0 request signature (AclUtils.combineRequestContent, AclSigner, ali-ons
 * Channel.beforeRequest):
 *
 *   content   = UTF-8( concat of the values of every extField but Signature, ordered by key
 *                      (UTF-16 code units, Java's String order) ) ++ body
 *   Signature = base64( HMAC-SHA1(secretKey, content) )
 *
 * The signer adds AccessKey (and ali-ons OnsChannel "ALIYUN") before signing, so they are part of
 * the content. A request of a client version up to V4_9_3 (399) leaves `_UNIQUE_KEY_QUERY` out too
 * (old clients added it after signing).
 */
import { createHmac } from "node:crypto";
import type { ExtFields } from "../remoting/remoting-command.js";
import { RemotingCommand } from "../remoting/remoting-command.js";

/** The extField carrying a request's ACL access key. */
export const ACL_ACCESS_KEY = "AccessKey";
/** The extField carrying a request's ACL signature (HMAC-SHA1, base64). */
export const ACL_SIGNATURE = "Signature";
export const ACL_SECURITY_TOKEN = "SecurityToken";
/** MixAll.UNIQUE_MSG_QUERY_FLAG. */
const UNIQUE_MSG_QUERY_FLAG = "_UNIQUE_KEY_QUERY";
/** MQVersion.Version.V4_9_3.ordinal(). */
const VERSION_V4_9_3 = 399;

/** The bytes a request's signature covers. */
export function aclSignedContent(
  extFields: ExtFields,
  body: Buffer | null,
  version: number,
): Buffer {
  let values = "";
  for (const key of Object.keys(extFields).sort()) {
    if (key === ACL_SIGNATURE) continue;
    if (key === UNIQUE_MSG_QUERY_FLAG && version <= VERSION_V4_9_3) continue;
    values += extFields[key];
  }
  const head = Buffer.from(values, "utf8");
  return body === null || body.length === 0 ? head : Buffer.concat([head, body]);
}

/** base64(HMAC-SHA1(secretKey, content)). */
export function aclSignature(content: Buffer, secretKey: string): string {
  return createHmac("sha1", secretKey).update(content).digest("base64");
}

/**
 * `command` signed for `accessKey` (AclClientRPCHook): AccessKey added, then Signature over the
 * result. For clients of this package (RemotingClient) talking to a broker with aclEnable.
 */
export function signRequest(
  command: RemotingCommand,
  accessKey: string,
  secretKey: string,
): RemotingCommand {
  const extFields: ExtFields = { ...command.extFields, [ACL_ACCESS_KEY]: accessKey };
  delete extFields[ACL_SIGNATURE];
  extFields[ACL_SIGNATURE] = aclSignature(
    aclSignedContent(extFields, command.body, command.version),
    secretKey,
  );
  const { code, language, version, opaque, flag, remark, body, serializeType } = command;
  return new RemotingCommand({
    code,
    language,
    version,
    opaque,
    flag,
    remark,
    extFields,
    body,
    serializeType,
  });
}
