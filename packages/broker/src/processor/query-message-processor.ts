import type { MessageStore } from "@store/commitlog";
import { RemotingCommand } from "../remoting/remoting-command.js";
import { ResponseCode } from "../remoting/response-code.js";
import { decodeViewMessageByIdRequest } from "../remoting/view-message-by-id/request.js";
import type { RequestProcessor } from "../request-processor.js";

/** VIEW_MESSAGE_BY_ID (33) (QueryMessageProcessor.java): the record at a commit-log offset. */
export class QueryMessageProcessor implements RequestProcessor {
  readonly #store: MessageStore;

  constructor(store: MessageStore) {
    this.#store = store;
  }

  async processRequest(request: RemotingCommand): Promise<RemotingCommand> {
    const { offset } = decodeViewMessageByIdRequest(request);
    const message = await this.#store.lookMessageByOffset(offset);
    if (message === null) return RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, `can not find message by the offset, ${offset}`);
    const record = await this.#store.commitLog.getMessage(offset, message.totalSize);
    if (record === null) return RemotingCommand.response(request, ResponseCode.SYSTEM_ERROR, `can not find message by the offset, ${offset}`);
    try {
      return RemotingCommand.response(request, ResponseCode.SUCCESS, null, {}, Buffer.from(record.buffer.subarray(0, message.totalSize)));
    } finally {
      record.release();
    }
  }
}
