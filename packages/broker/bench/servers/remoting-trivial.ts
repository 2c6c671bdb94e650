// Our transport with nothing behind it: RemotingServer and a SEND_MESSAGE_V2 processor that answers
// SUCCESS at once (the transport's own cost: decode, dispatch, encode, socket writes).
import { RemotingCommand, RemotingServer, RequestCode, ResponseCode } from "@store/broker";
import type { RequestProcessor } from "@store/broker";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";

export async function start(_options: BenchServerOptions): Promise<BenchServer> {
  const trivial: RequestProcessor = {
    processRequest: (request) =>
      RemotingCommand.response(request, ResponseCode.SUCCESS, null, {
        msgId: "7F00000100002A9F0000000000000000",
        queueId: request.extFields.e ?? "0",
        queueOffset: "0",
      }),
  };
  const server = new RemotingServer({
    port: 0,
    host: "127.0.0.1",
    processors: new Map([[RequestCode.SEND_MESSAGE_V2, trivial]]),
  });
  const port = await server.start();
  return { port, stop: () => server.shutdown(1_000) };
}
