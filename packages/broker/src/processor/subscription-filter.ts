import { javaStringHashCode } from "@store/message-codec";
import type { ConsumeQueueFilter } from "@store/commitlog";

/**
 * The consume-queue filter of a TAG subscription (SubscriptionData's codeSet): `null` for "*" or an
 * empty expression (everything), else a filter accepting the Java hash codes of the listed tags
 * ("TagA || TagB"). Hash collisions pass; clients re-check the exact tag.
 */
export function tagFilterOf(subscription: string | undefined): ConsumeQueueFilter | null {
  const expression = (subscription ?? "*").trim();
  if (expression === "" || expression === "*") return null;
  const codes = new Set<number>();
  for (const tag of expression.split("||")) {
    const trimmed = tag.trim();
    if (trimmed === "*") return null;
    if (trimmed !== "") codes.add(javaStringHashCode(trimmed));
  }
  if (codes.size === 0) return null;
  return (tagsCode) => codes.has(tagsCode);
}
