// The baseline server of wire-load.bench.ts, run as its own process: @store/broker's RemotingServer
// answering every SEND_MESSAGE_V2 with SUCCESS and a fixed header, storing nothing. Prints its port.
import type { RequestProcessor } from "@store/broker";
import { RemotingCommand, RemotingServer, RequestCode, ResponseCode } from "@store/broker";
import { pino } from "pino";

let offset = 0;
const answer: RequestProcessor = {
  processRequest: (request) =>
    RemotingCommand.response(request, ResponseCode.SUCCESS, null, {
      msgId: "7F00000100002A9F0000000000000000",
      queueId: "0",
      queueOffset: String(offset++),
    }),
};
const server = new RemotingServer({
  port: 0,
  processors: new Map([[RequestCode.SEND_MESSAGE_V2, answer]]),
  logger: pino({ level: "silent" }),
});
const port = await server.start();
console.log(JSON.stringify({ port }));
process.on("SIGTERM", () => void server.shutdown(0).then(() => process.exit(0)));
