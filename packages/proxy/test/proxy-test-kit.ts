import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MessageStoreConfigInput } from "@store/commitlog";
import { MessageStore } from "@store/commitlog";
import { pino } from "pino";
import type { GrpcProxyOptions, MessageStoreBrokerOptions } from "../src/index.js";
import { GrpcProxy, MessageStoreBroker } from "../src/index.js";

export const silentLogger = pino({ level: "silent" });

/** A logger for rocketmq-client-nodejs that writes nothing (its default writes to $HOME/logs). */
export const clientLogger = {
  info(): void {},
  warn(): void {},
  error(): void {},
  debug(): void {},
};

/** Polls `condition` until true or `timeoutMs` passes. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `promise`, or a rejection naming `what` after `ms` (client startups have no timeout of their own). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ProxyEnvironment {
  readonly dir: string;
  store: MessageStore;
  broker: MessageStoreBroker;
  proxy: GrpcProxy;
  readonly endpoints: string;
  /** Stops proxy, broker services and store (graceful), keeping the directory. */
  stop(): Promise<void>;
  /** Starts them again on the same directory and port. */
  restart(): Promise<void>;
  /** stop() and removes the directory. */
  destroy(): Promise<void>;
}

export interface ProxyEnvironmentOptions {
  readonly store?: MessageStoreConfigInput;
  readonly broker?: Omit<MessageStoreBrokerOptions, "messageStore">;
  readonly proxy?: Partial<Omit<GrpcProxyOptions, "broker">>;
}

/** A store in a temp dir, a MessageStoreBroker over it and a GrpcProxy on 127.0.0.1, random port. */
export async function startProxy(options: ProxyEnvironmentOptions = {}): Promise<ProxyEnvironment> {
  const dir = await mkdtemp(join(tmpdir(), "proxy-test-"));
  let port = 0;
  const open = async (): Promise<{
    store: MessageStore;
    broker: MessageStoreBroker;
    proxy: GrpcProxy;
  }> => {
    const store = await MessageStore.open(
      {
        storePathRootDir: dir,
        mappedFileSizeCommitLog: 8 * 1024 * 1024,
        mappedFileSizeConsumeQueue: 20_000 * 20,
        ...options.store,
      },
      { logger: silentLogger },
    );
    const broker = await MessageStoreBroker.open({
      messageStore: store,
      logger: silentLogger,
      ...options.broker,
    });
    const proxy = new GrpcProxy({
      broker,
      grpcPort: port,
      host: "127.0.0.1",
      logger: silentLogger,
      longPollingTimeoutMs: 2000,
      ...options.proxy,
    });
    port = await proxy.start();
    return { store, broker, proxy };
  };
  const parts = await open();
  let running = true;
  const env: ProxyEnvironment = {
    dir,
    ...parts,
    endpoints: `127.0.0.1:${port}`,
    async stop() {
      if (!running) return;
      running = false;
      await env.proxy.shutdown();
      await env.broker.shutdown();
      await env.store.shutdown();
    },
    async restart() {
      await env.stop();
      Object.assign(env, await open());
      running = true;
    },
    async destroy() {
      await env.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return env;
}
