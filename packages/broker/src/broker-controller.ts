import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { PutMessageResult } from "@store/commitlog";
import { SCHEDULE_TOPIC } from "@store/message-codec";
import type { MessageInput } from "@store/message-codec";
import { MessageStore, messageStoreConfigSchema } from "@store/commitlog";
import type { FileIO } from "@store/mapped-file";
import type { Logger } from "pino";
import { pino } from "pino";
import type { BrokerConfig, BrokerConfigInput } from "./broker-config.js";
import { parseBrokerConfig } from "./broker-config.js";
import { PlainAccessValidator } from "./acl/plain-access-validator.js";
import { BrokerError } from "./broker-error.js";
import type { BrokerObserver } from "./broker-observer.js";
import { ConsumerManager } from "./client/consumer-manager.js";
import { ProducerManager } from "./client/producer-manager.js";
import { RebalanceLockManager } from "./client/rebalance-lock-manager.js";
import { SendFlowControl } from "./flow/send-flow-control.js";
import type { NamesrvController } from "./namesrv/namesrv-controller.js";
import { NamesrvProcessor } from "./namesrv/namesrv-processor.js";
import { NamesrvRegistration } from "./namesrv/namesrv-registration.js";
import { ConsumerOffsetManager } from "./offset/consumer-offset-manager.js";
import { isGroupSystemTopic } from "./pop/key-builder.js";
import { PopService } from "./pop/pop-service.js";
import { TimerMessageService } from "./pop/timer-message-service.js";
import { AdminBrokerProcessor } from "./processor/admin-broker-processor.js";
import { ClientManageProcessor } from "./processor/client-manage-processor.js";
import { ConsumerManageProcessor } from "./processor/consumer-manage-processor.js";
import { ConsumerSendBack } from "./processor/consumer-send-back.js";
import { PullMessageProcessor } from "./processor/pull-message-processor.js";
import { QueryMessageProcessor } from "./processor/query-message-processor.js";
import { SendMessageProcessor } from "./processor/send-message-processor.js";
import { RequestCode } from "./remoting/request-code.js";
import { RemotingServer } from "./remoting-server.js";
import type { RequestHook, RequestProcessor } from "./request-processor.js";
import { ScheduleMessageService } from "./schedule/schedule-message-service.js";
import { isReadable, isWriteable, RETRY_GROUP_TOPIC_PREFIX } from "./topic/topic-config.js";
import { TopicConfigManager } from "./topic/topic-config-manager.js";

/** Client housekeeping period (expired producers and consumers), ms (ClientHousekeepingService: 10 s). */
const CLIENT_SCAN_INTERVAL_MS = 10_000;
/** How long shutdown lets requests in flight finish, ms. */
const SHUTDOWN_GRACE_MS = 5_000;

/** What a `BrokerController` takes besides its config: logger, observer, an in-process name server and more. */
export interface BrokerControllerOptions {
  readonly logger?: Logger;
  readonly observer?: BrokerObserver;
  /**
   * A name server in this process: the broker registers its topics with it at start, on every topic
   * change and every registerNameServerPeriod, unregisters at shutdown, and also answers
   * GET_ROUTEINFO_BY_TOPIC / GET_BROKER_CLUSTER_INFO on its own port from it.
   */
  readonly namesrv?: NamesrvController;
  /** The store's file access (a timed or simulated one). Default node:fs. */
  readonly io?: FileIO;
  /** Where the store logs. Default `logger`. */
  readonly storeLogger?: Logger;
  /**
   * Runs after the store has opened (and recovered) and the services started, before the port opens:
   * the place to make the first commit-log segment ready, so the first SEND is answered at once.
   * With listenPort 0 the port opens first (the store host needs the bound port).
   */
  readonly beforeListen?: (store: MessageStore) => Promise<void>;
}

/** A topic's queue counts as the gRPC proxy routes it (`ProxyTopicQueues` of @store/proxy). */
export interface TopicQueues {
  /** Queues consumers read; 0 = not readable. */
  readonly readQueueNums: number;
  /** Queues producers write; 0 = not writable. */
  readonly writeQueueNums: number;
}

/** What `start()` builds; absent before and after. */
interface Running {
  readonly store: MessageStore;
  readonly server: RemotingServer;
  readonly topics: TopicConfigManager;
  readonly offsets: ConsumerOffsetManager;
  readonly schedule: ScheduleMessageService;
  readonly pop: PopService;
  readonly timer: TimerMessageService;
  readonly send: SendMessageProcessor;
  readonly pull: PullMessageProcessor;
  readonly consumers: ConsumerManager;
  readonly producers: ProducerManager;
  readonly timers: NodeJS.Timeout[];
  readonly stopListening: () => void;
  readonly brokerAddr: string;
}

/** The connected-client registries. */
interface ClientManagers {
  readonly consumers: ConsumerManager;
  readonly producers: ProducerManager;
}

/** The processors the code → processor table maps request codes to. */
interface ProcessorSet {
  readonly send: RequestProcessor;
  readonly pull: RequestProcessor;
  readonly client: RequestProcessor;
  readonly consumer: RequestProcessor;
  readonly admin: RequestProcessor;
  readonly query: RequestProcessor;
}

/**
 * The broker (BrokerController.java), its one composition root: `start()` listens, opens the store,
 * loads the topics, offsets and delay progress, builds the managers and processors and the
 * request code → processor table, and registers with the name server. `shutdown()` stops
 * accepting, answers held pulls, lets requests in flight finish, persists offsets, topics and delay
 * progress, and shuts the store down.
 *
 * ```ts
 * const broker = new BrokerController({ storePathRootDir: "/var/lib/broker", listenPort: 10911 });
 * await broker.start();
 * // ... clients send and pull ...
 * await broker.shutdown();
 * ```
 */
export class BrokerController {
  readonly config: BrokerConfig;
  readonly #logger: Logger;
  readonly #observer: BrokerObserver;
  readonly #namesrv: NamesrvController | undefined;
  readonly #options: BrokerControllerOptions;
  /** request code → processor; filled once the store is open (the server listens first for its port). */
  readonly #processors = new Map<number, RequestProcessor>();
  #running: Running | null = null;
  /** With the name servers; made at the first registration. */
  #registration: NamesrvRegistration | null = null;
  #state: "new" | "starting" | "running" | "stopped" = "new";

  /** @throws BrokerError INVALID_CONFIG naming the bad key and the expected form. */
  constructor(
    config: BrokerConfigInput | Record<string, unknown> = {},
    options: BrokerControllerOptions = {},
  ) {
    this.config = parseBrokerConfig(config);
    this.#logger = options.logger ?? pino({ name: "broker", level: "info" });
    this.#observer = options.observer ?? {};
    this.#namesrv = options.namesrv;
    this.#options = options;
  }

  /** The broker's name in routes (`brokerName`). */
  get brokerName(): string {
    return this.config.brokerName;
  }

  /** Pop consumption (RocketMQ 5), used by the gRPC proxy. @throws BrokerError BAD_STATE before `start`. */
  get popService(): PopService {
    return this.#parts().pop;
  }

  /** Timed delivery (TIMER_DELIVER_MS), used by the gRPC proxy. @throws BrokerError BAD_STATE before `start`. */
  get timerMessageService(): TimerMessageService {
    return this.#parts().timer;
  }

  /** Producers and consumers connected over remoting. */
  get consumerManager(): ConsumerManager {
    return this.#parts().consumers;
  }

  /**
   * A topic's queue counts, creating it when it is missing and autoCreateTopicEnable allows (a
   * `%RETRY%<group>` topic always, with one queue); null when it does not exist and may not be created.
   * @throws BrokerError INVALID_TOPIC for an illegal name.
   */
  getTopicQueues(topic: string): Promise<TopicQueues | null> {
    const topics = this.#parts().topics;
    const config =
      topics.selectTopicConfig(topic) ??
      (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)
        ? topics.createTopicInSendMessageBackMethod(topic, 1)
        : topics.createTopicInSendMessageMethod(topic));
    if (config === null) return Promise.resolve(null);
    return Promise.resolve({
      readQueueNums: isReadable(config.perm) ? config.readQueueNums : 0,
      writeQueueNums: isWriteable(config.perm) ? config.writeQueueNums : 0,
    });
  }

  /**
   * Stores one message through the broker's send path (flow control, topic checks, metrics), as the
   * gRPC proxy's SendMessage does. The caller chose `queueId`. @throws BrokerError BAD_STATE before `start`.
   */
  sendMessage(message: MessageInput): Promise<PutMessageResult> {
    return this.#parts().send.sendMessage(message);
  }

  /** The store (after `start`). @throws BrokerError BAD_STATE before. */
  get messageStore(): MessageStore {
    return this.#parts().store;
  }

  /** The bound port (after `start`; listenPort 0 picks one). */
  get listenPort(): number {
    return this.#running?.server.port ?? 0;
  }

  /** `brokerIP1:listenPort`, the address the name server hands clients. */
  get brokerAddr(): string {
    return this.#parts().brokerAddr;
  }

  get topicConfigManager(): TopicConfigManager {
    return this.#parts().topics;
  }

  get consumerOffsetManager(): ConsumerOffsetManager {
    return this.#parts().offsets;
  }

  get scheduleMessageService(): ScheduleMessageService {
    return this.#parts().schedule;
  }

  #parts(): Running {
    if (this.#running === null)
      throw new BrokerError("BAD_STATE", "the broker is not running: call start() first");
    return this.#running;
  }

  /**
   * Opens the store (listening first only when listenPort is 0), loads topics / offsets / delay,
   * pop and timer state, starts the services, runs `beforeListen`, listens and registers with the
   * name servers. @throws BrokerError BAD_STATE when called twice; INVALID_CONFIG
   * for an unreadable ACL file (aclEnable); the store's errors (STORE_LOCKED, ...) and
   * CONFIG_FILE_CORRUPT, with nothing left running.
   */
  async start(): Promise<void> {
    if (this.#state !== "new")
      throw new BrokerError("BAD_STATE", `start() on a broker that is ${this.#state}`);
    this.#state = "starting";
    const config = this.config;
    const hook = await this.#aclHook();
    const observer = this.#observer;
    const server = new RemotingServer({
      port: config.listenPort,
      processors: this.#processors,
      hook,
      logger: this.#logger,
      limits: { idleTimeoutMs: config.serverChannelMaxIdleTimeSeconds * 1000 },
      onConnection: (connection, open) =>
        observer.connection?.({ open, remoteAddress: connection.remoteAddress }),
    });
    // The store host carries the port: listen first only when the port is not known before binding.
    const listenFirst = config.listenPort === 0;
    let store: MessageStore | null = null;
    try {
      const port = listenFirst ? await server.start() : config.listenPort;
      const brokerAddr = `${config.brokerIP1}:${port}`;
      const storeOptions = {
        logger: this.#options.storeLogger ?? this.#logger,
        io: this.#options.io,
      };
      store = await MessageStore.open(
        { ...this.#storeConfig(), storeHost: config.storeHost ?? brokerAddr },
        storeOptions,
      );
      this.#running = await this.#build(store, server, brokerAddr);
      await this.#options.beforeListen?.(store);
      if (!listenFirst) await server.start();
    } catch (error) {
      if (this.#running !== null) await this.#stopServices(this.#running);
      this.#running = null;
      this.#processors.clear();
      await store?.shutdown().catch(() => undefined);
      await server.shutdown(0);
      this.#state = "stopped";
      throw error;
    }
    this.#state = "running";
    this.#registerWithNamesrv();
    this.#logger.info(
      {
        port: server.port,
        brokerName: config.brokerName,
        store: config.storePathRootDir,
        flushDiskType: config.flushDiskType,
      },
      "broker started",
    );
  }

  /** The ACL check run before every request when aclEnable. @throws BrokerError INVALID_CONFIG (then stopped). */
  async #aclHook(): Promise<RequestHook | undefined> {
    const { aclEnable, aclFilePath, storePathRootDir } = this.config;
    if (!aclEnable) return undefined;
    try {
      const path = aclFilePath ?? join(storePathRootDir, "config", "plain_acl.yml");
      return (await PlainAccessValidator.load(path, this.#logger)).hook;
    } catch (error) {
      this.#state = "stopped";
      throw error;
    }
  }

  #storeConfig(): Record<string, unknown> {
    const keys = Object.keys(messageStoreConfigSchema.shape);
    const config = this.config as unknown as Record<string, unknown>;
    return Object.fromEntries(
      keys
        .filter((key) => key !== "storeHost" && config[key] !== undefined)
        .map((key) => [key, config[key]]),
    );
  }

  /** The managers, processors and timers over an open store. */
  async #build(store: MessageStore, server: RemotingServer, brokerAddr: string): Promise<Running> {
    const { topics, offsets, schedule } = await this.#loadState(store);
    const { pop, timer } = await this.#startPop(store, topics, offsets);
    const clients = this.#clientManagers();
    const send = this.#sendProcessor(store, topics);
    const pull = this.#pullProcessor(store, topics, offsets, clients.consumers);
    this.#fillProcessorTable({
      send,
      pull,
      ...this.#adminProcessors(store, topics, offsets, clients),
    });
    const stopListening = this.#onMessageDispatched(store, pull, schedule, topics);
    schedule.start();
    topics.onChange(() => this.#registerWithNamesrv());
    const timers = this.#startTimers(offsets, schedule, clients);
    return {
      store,
      server,
      topics,
      offsets,
      schedule,
      pop,
      timer,
      send,
      pull,
      ...clients,
      timers,
      stopListening,
      brokerAddr,
    };
  }

  /** Topics, consumer offsets and delay progress, loaded from `<storePathRootDir>/config` (made if absent). */
  async #loadState(store: MessageStore): Promise<{
    topics: TopicConfigManager;
    offsets: ConsumerOffsetManager;
    schedule: ScheduleMessageService;
  }> {
    const config = this.config;
    const logger = this.#logger;
    const configDir = join(config.storePathRootDir, "config");
    await mkdir(configDir, { recursive: true });
    const topics = new TopicConfigManager({
      configDir,
      defaultTopicQueueNums: config.defaultTopicQueueNums,
      autoCreateTopicEnable: config.autoCreateTopicEnable,
      delayLevelCount: config.delayLevelTableMs.length,
      logger,
    });
    const offsets = new ConsumerOffsetManager({ configDir, logger });
    const schedule = new ScheduleMessageService({
      store,
      delayLevelTableMs: config.delayLevelTableMs,
      configDir,
      logger,
    });
    await Promise.all([topics.load(), offsets.load(), schedule.load()]);
    return { topics, offsets, schedule };
  }

  /** The registries of connected consumers and producers (expired after clientChannelMaxIdleTime). */
  #clientManagers(): ClientManagers {
    const options = {
      channelExpiredTimeoutMs: this.config.clientChannelMaxIdleTime,
      logger: this.#logger,
    };
    return { consumers: new ConsumerManager(options), producers: new ProducerManager(options) };
  }

  /** SEND_MESSAGE(_V2), SEND_BATCH_MESSAGE and CONSUMER_SEND_MSG_BACK, behind the send flow control. */
  #sendProcessor(store: MessageStore, topics: TopicConfigManager): SendMessageProcessor {
    const config = this.config;
    const logger = this.#logger;
    const delayLevelCount = config.delayLevelTableMs.length;
    const flowControl = new SendFlowControl({
      waitTimeMillsInSendQueue: config.waitTimeMillsInSendQueue,
      osPageCacheBusyTimeOutMills: config.osPageCacheBusyTimeOutMills,
      capacity: config.sendThreadPoolQueueCapacity,
    });
    const sendBack = new ConsumerSendBack({
      store,
      topics,
      delayLevelCount,
      maxReconsumeTimes: config.maxReconsumeTimes,
      logger,
    });
    return new SendMessageProcessor({
      store,
      topics,
      flowControl,
      sendBack,
      delayLevelCount,
      maxReconsumeTimes: config.maxReconsumeTimes,
      observer: this.#observer,
      logger,
    });
  }

  /** PULL_MESSAGE, with long polling (held pulls) when longPollingEnable. */
  #pullProcessor(
    store: MessageStore,
    topics: TopicConfigManager,
    offsets: ConsumerOffsetManager,
    consumers: ConsumerManager,
  ): PullMessageProcessor {
    const config = this.config;
    return new PullMessageProcessor({
      store,
      topics,
      offsets,
      consumers,
      longPollingEnable: config.longPollingEnable,
      shortPollingTimeMills: config.shortPollingTimeMills,
      maxHeldPullRequests: config.maxHeldPullRequests,
      observer: this.#observer,
      logger: this.#logger,
    });
  }

  /** The client, consumer-management, admin and query processors. */
  #adminProcessors(
    store: MessageStore,
    topics: TopicConfigManager,
    offsets: ConsumerOffsetManager,
    { consumers, producers }: ClientManagers,
  ): Pick<ProcessorSet, "client" | "consumer" | "admin" | "query"> {
    const logger = this.#logger;
    const locks = new RebalanceLockManager(this.config.rebalanceLockMaxLiveTime);
    return {
      client: new ClientManageProcessor({ consumers, producers, topics, logger }),
      consumer: new ConsumerManageProcessor({ store, topics, offsets, consumers }),
      admin: new AdminBrokerProcessor({
        store,
        topics,
        locks,
        brokerName: this.config.brokerName,
        logger,
      }),
      query: new QueryMessageProcessor(store),
    };
  }

  /**
   * On each message dispatched to a consume queue: wakes the held pulls and the delay service, and
   * gives the pop service's retry and DLQ topics a topic config. Returns the unsubscribe.
   */
  #onMessageDispatched(
    store: MessageStore,
    pull: PullMessageProcessor,
    schedule: ScheduleMessageService,
    topics: TopicConfigManager,
  ): () => void {
    return store.onMessageDispatched((topic, queueId, maxOffset) => {
      pull.holdService.notifyMessageArriving(topic, queueId, maxOffset);
      if (topic === SCHEDULE_TOPIC) schedule.notifyMessageArriving(queueId);
      // retry and DLQ copies the pop service stores get a topic config (routes, status, 4.x consumers)
      else if (isGroupSystemTopic(topic) && topics.selectTopicConfig(topic) === undefined)
        topics.createTopicInSendMessageBackMethod(topic, 1);
    });
  }

  /**
   * The periodic work (unref'd): persist consumer offsets (flushConsumerOffsetInterval) and delay
   * progress (flushDelayOffsetInterval), expire idle clients (10 s), re-register with the name
   * servers (registerNameServerPeriod).
   */
  #startTimers(
    offsets: ConsumerOffsetManager,
    schedule: ScheduleMessageService,
    { consumers, producers }: ClientManagers,
  ): NodeJS.Timeout[] {
    const config = this.config;
    const logger = this.#logger;
    const timers = [
      setInterval(
        () =>
          void offsets
            .persist()
            .catch((error: unknown) =>
              logger.error({ err: error }, "consumer offsets not persisted"),
            ),
        config.flushConsumerOffsetInterval,
      ),
      setInterval(
        () =>
          void schedule
            .persist()
            .catch((error: unknown) => logger.error({ err: error }, "delay offsets not persisted")),
        config.flushDelayOffsetInterval,
      ),
      setInterval(() => {
        consumers.scanNotActiveChannel();
        producers.scanNotActiveChannel();
      }, CLIENT_SCAN_INTERVAL_MS),
      setInterval(() => this.#registerWithNamesrv(), config.registerNameServerPeriod),
    ];
    for (const timer of timers) timer.unref();
    return timers;
  }

  /**
   * Pop consumption and timed delivery over the store. Pop keeps its own offsets (config/popState.json,
   * written atomically with the messages in flight); a group that never popped a queue starts at its
   * committed pull offset there, else at the first retained message (see the README).
   */
  async #startPop(
    store: MessageStore,
    topics: TopicConfigManager,
    offsets: ConsumerOffsetManager,
  ): Promise<{ pop: PopService; timer: TimerMessageService }> {
    const config = this.config;
    const shared = {
      store,
      storePathRootDir: config.storePathRootDir,
      io: this.#options.io,
      logger: this.#logger,
    };
    const pop = new PopService({
      ...shared,
      topics: {
        readQueueNums: (topic) => {
          const found = topics.selectTopicConfig(topic);
          if (found !== undefined) return isReadable(found.perm) ? found.readQueueNums : 0;
          return topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)
            ? topics.createTopicInSendMessageBackMethod(topic, 1).readQueueNums
            : 0;
        },
      },
      maxReconsumeTimes: () => config.maxReconsumeTimes,
      onMessagesOut: (event) => this.#observer.messagesOut?.(event),
      initialOffset: (group, topic, queueId) => {
        const committed = offsets.queryOffset(group, topic, queueId);
        return committed >= 0 ? committed : undefined;
      },
    });
    const timer = new TimerMessageService(shared);
    await pop.start();
    try {
      await timer.start();
    } catch (error) {
      await pop.shutdown();
      throw error;
    }
    return { pop, timer };
  }

  /** The code → processor table, in one place. */
  #fillProcessorTable(processors: ProcessorSet): void {
    const table: [number, RequestProcessor][] = [
      [RequestCode.SEND_MESSAGE, processors.send],
      [RequestCode.SEND_MESSAGE_V2, processors.send],
      [RequestCode.SEND_BATCH_MESSAGE, processors.send],
      [RequestCode.CONSUMER_SEND_MSG_BACK, processors.send],
      [RequestCode.PULL_MESSAGE, processors.pull],
      [RequestCode.HEART_BEAT, processors.client],
      [RequestCode.UNREGISTER_CLIENT, processors.client],
      [RequestCode.GET_CONSUMER_LIST_BY_GROUP, processors.consumer],
      [RequestCode.QUERY_CONSUMER_OFFSET, processors.consumer],
      [RequestCode.UPDATE_CONSUMER_OFFSET, processors.consumer],
      [RequestCode.UPDATE_AND_CREATE_TOPIC, processors.admin],
      [RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, processors.admin],
      [RequestCode.GET_MAX_OFFSET, processors.admin],
      [RequestCode.GET_MIN_OFFSET, processors.admin],
      [RequestCode.GET_EARLIEST_MSG_STORETIME, processors.admin],
      [RequestCode.LOCK_BATCH_MQ, processors.admin],
      [RequestCode.UNLOCK_BATCH_MQ, processors.admin],
      [RequestCode.QUERY_MESSAGE, processors.query],
      [RequestCode.VIEW_MESSAGE_BY_ID, processors.query],
    ];
    if (this.#namesrv !== undefined) {
      const namesrv = new NamesrvProcessor(this.#namesrv.routeInfoManager);
      table.push(
        [RequestCode.GET_ROUTEINFO_BY_TOPIC, namesrv],
        [RequestCode.GET_BROKER_CLUSTER_INFO, namesrv],
      );
    }
    for (const [code, processor] of table) this.#processors.set(code, processor);
  }

  /** Registers this broker's topics with the name servers (namesrvAddr, and the in-process one if any). */
  #registerWithNamesrv(): void {
    const running = this.#running;
    if (running === null || this.#state === "stopped") return;
    const local = this.#namesrv?.routeInfoManager;
    this.#registration ??= NamesrvRegistration.forBroker(
      this.config,
      running.brokerAddr,
      running.topics,
      local,
      this.#logger,
    );
    this.#registration.registerAll();
  }

  /**
   * Unregisters, stops accepting, answers held pulls, lets requests in flight finish (up to 5 s),
   * persists consumer offsets, topics and delay progress, and shuts the store down. Idempotent.
   */
  async shutdown(): Promise<void> {
    const running = this.#running;
    if (running === null || this.#state !== "running") return;
    this.#state = "stopped";
    await this.#registration?.shutdown();
    running.pull.holdService.shutdown();
    await running.server.shutdown(SHUTDOWN_GRACE_MS);
    await this.#stopServices(running);
    await running.store.shutdown();
    this.#running = null;
    this.#processors.clear();
    this.#logger.info("broker shut down");
  }

  /** Stops timers and services and persists their state (pop, timer, delay, offsets, topics); the store stays open. */
  async #stopServices(running: Running): Promise<void> {
    const logger = this.#logger;
    for (const timer of running.timers) clearInterval(timer);
    running.pull.holdService.shutdown();
    running.stopListening();
    await running.pop
      .shutdown()
      .catch((error: unknown) => logger.error({ err: error }, "pop state not persisted"));
    await running.timer
      .shutdown()
      .catch((error: unknown) => logger.error({ err: error }, "timer state not persisted"));
    await running.schedule
      .shutdown()
      .catch((error: unknown) => logger.error({ err: error }, "delay offsets not persisted"));
    await running.offsets
      .persist()
      .catch((error: unknown) => logger.error({ err: error }, "consumer offsets not persisted"));
    await running.topics
      .persist()
      .catch((error: unknown) => logger.error({ err: error }, "topics not persisted"));
  }
}
