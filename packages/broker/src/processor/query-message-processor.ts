import type { MessageStore } from "@store/commitlog";
import { decodeQueryMessageRequest } from "../remoting/query-message/request.js";
import { queryMessageResponse } from "../remoting/query-message/response.js";
import { RemotingCommand } from "../remoting/remoting-command.js";
import { RequestCode } from "../remoting/request-code.js";
import { ResponseCode } from "../remoting/response-code.js";
import { decodeViewMessageByIdRequest } from "../remoting/view-message-by-id/request.js";
import type { RequestProcessor } from "../request-processor.js";

/**
 * QueryMessageProcessor.java: QUERY_MESSAGE (12), the messages of a topic with a key (one of their
 * KEYS, or their UNIQ_KEY) from the store's message index; VIEW_MESSAGE_BY_ID (33), the record at a
 * commit-log offset.
 */
export class QueryMessageProcessor implements RequestProcessor {
  readonly #store: MessageStore;

  constructor(store: MessageStore) {
    this.#store = store;
  }

  /** Answers QUERY_MESSAGE and VIEW_MESSAGE_BY_ID from the store's message index. */
  processRequest(request: RemotingCommand): Promise<RemotingCommand> {
    return request.code === RequestCode.QUERY_MESSAGE
      ? this.#queryMessage(request)
      : this.#viewMessageById(request);
  }

  /** A query by unique key takes defaultQueryMaxNum as its maxNum (as RocketMQ's broker does). */
  async #queryMessage(request: RemotingCommand): Promise<RemotingCommand> {
    const header = decodeQueryMessageRequest(request);
    const maxNum = header.uniqueKey ? this.#store.config.defaultQueryMaxNum : header.maxNum;
    const result = await this.#store.queryMessage(
      header.topic,
      header.key,
      maxNum,
      header.beginTimestamp,
      header.endTimestamp,
    );
    return queryMessageResponse(request, result, result.messages);
  }

  async #viewMessageById(request: RemotingCommand): Promise<RemotingCommand> {
    const { offset } = decodeViewMessageByIdRequest(request);
    const message = await this.#store.lookMessageByOffset(offset);
    if (message === null)
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `can not find message by the offset, ${offset}`,
      );
    const record = await this.#store.commitLog.getMessage(offset, message.totalSize);
    if (record === null)
      return RemotingCommand.response(
        request,
        ResponseCode.SYSTEM_ERROR,
        `can not find message by the offset, ${offset}`,
      );
    try {
      return RemotingCommand.response(
        request,
        ResponseCode.SUCCESS,
        null,
        {},
        Buffer.from(record.buffer.subarray(0, message.totalSize)),
      );
    } finally {
      record.release();
    }
  }
}
