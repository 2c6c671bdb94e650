/*
 * Response to SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320):
 *
 *   code 0 SUCCESS | 10 FLUSH_DISK_TIMEOUT | 2 SYSTEM_BUSY | 13 MESSAGE_ILLEGAL | 14 SERVICE_NOT_AVAILABLE
 *        | 17 TOPIC_NOT_EXIST | 16 NO_PERMISSION | 29 INVALID_PARAMETER | 1 SYSTEM_ERROR
 *   extFields (stored: SUCCESS, FLUSH_DISK_TIMEOUT) = { msgId, queueId, queueOffset }
 *     msgId: offset message id(s), 32 uppercase hex per message, comma-joined for a batch
 *     queueOffset: consume-queue index of the (first) message
 */
import { RemotingCommand } from "../remoting-command.js";

export interface SendMessageResponseHeader {
  readonly msgId: string;
  readonly queueId: number;
  readonly queueOffset: number;
}

export function sendMessageResponse(
  request: RemotingCommand,
  code: number,
  remark: string | null,
  header?: SendMessageResponseHeader,
): RemotingCommand {
  const extFields: Record<string, string> =
    header === undefined
      ? {}
      : {
          msgId: header.msgId,
          queueId: String(header.queueId),
          queueOffset: String(header.queueOffset),
        };
  return RemotingCommand.response(request, code, remark, extFields);
}
