import { afterEach } from "vitest";
import { BrokerController, NamesrvController } from "../src/index.js";
import type { BrokerConfigInput, NamesrvConfigInput } from "../src/index.js";
import { SMALL_STORE } from "./broker-fixture.js";
import { silentLogger, tempDir } from "./helpers.js";

/** Things a test started, shut down after it in reverse order. */
export const running: { shutdown(): Promise<void> }[] = [];

afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.shutdown();
});

/** A name server on 127.0.0.1, random port. */
export async function namesrv(config: NamesrvConfigInput = {}): Promise<NamesrvController> {
  const server = new NamesrvController(
    { namesrvPort: 0, namesrvHost: "127.0.0.1", ...config },
    { logger: silentLogger },
  );
  await server.start();
  running.push(server);
  return server;
}

/** A broker on 127.0.0.1, random port, in a fresh store directory, without an in-process name server. */
export async function broker(config: BrokerConfigInput): Promise<BrokerController> {
  const started = new BrokerController(
    { storePathRootDir: await tempDir(), listenPort: 0, ...SMALL_STORE, ...config },
    { logger: silentLogger },
  );
  await started.start();
  running.push(started);
  return started;
}

/** The broker names a name server routes to now. */
export function brokerNames(server: NamesrvController): string[] {
  return Object.keys(server.routeInfoManager.getClusterInfo().brokerAddrTable).sort();
}
