// The real broker: BrokerController (its SendMessageProcessor, topic auto-creation, flow control,
// observer hooks) over the same store settings as remoting-store.ts; `variant` picks the flush strategy.
import { BrokerController } from "@store/broker";
import { pino } from "pino";
import type { BenchServer, BenchServerOptions } from "./bench-server.js";
import { ready, storeConfig } from "./remoting-store.js";

export async function start(options: BenchServerOptions): Promise<BenchServer> {
  const broker = new BrokerController(
    { ...storeConfig(options.dir, options.variant ?? "ASYNC_FLUSH"), listenPort: 0 },
    { logger: pino({ level: "warn" }) },
  );
  await broker.start();
  await ready(broker.messageStore, options.dir);
  return { port: broker.listenPort, stop: () => broker.shutdown() };
}
