import {
  PROPERTY_DELAY_TIME_LEVEL,
  PROPERTY_REAL_QUEUE_ID,
  PROPERTY_REAL_TOPIC,
  SCHEDULE_TOPIC,
} from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";

/** The DELAY level of a message's properties: 0 when absent, not a number, or not positive. */
export function delayLevelOf(properties: Readonly<Record<string, string>> | undefined): number {
  const text = properties?.[PROPERTY_DELAY_TIME_LEVEL];
  if (text === undefined || !/^\d{1,9}$/.test(text)) return 0;
  return Number(text);
}

/**
 * Parks a delayed message in SCHEDULE_TOPIC_XXXX (CommitLog.putMessage's delay branch): queue
 * level-1, with its real topic and queue in REAL_TOPIC / REAL_QID and DELAY capped at `levelCount`.
 * The ScheduleMessageService puts it back when its delay has passed.
 */
export function parkDelayed(
  message: MessageInput,
  level: number,
  levelCount: number,
): MessageInput {
  const capped = Math.min(level, levelCount);
  return {
    ...message,
    topic: SCHEDULE_TOPIC,
    queueId: capped - 1,
    properties: {
      ...message.properties,
      [PROPERTY_DELAY_TIME_LEVEL]: String(capped),
      [PROPERTY_REAL_TOPIC]: message.topic,
      [PROPERTY_REAL_QUEUE_ID]: String(message.queueId ?? 0),
    },
  };
}
