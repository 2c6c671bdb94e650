/**
 * What the broker tells its host about traffic, for metrics (the demo broker maps these onto
 * Prometheus counters with RocketMQ 5's names). Every method is optional and called synchronously on
 * the event loop: keep it cheap and never throw.
 */
export interface BrokerObserver {
  /** A send finished (one request; a batch counts its messages). `latencyMs` runs from decode to answer. */
  messagesIn?(event: MessagesInEvent): void;
  /** A pull (or pop) answered messages. */
  messagesOut?(event: MessagesOutEvent): void;
  /** A client connection opened (`open` true) or closed. */
  connection?(event: { readonly open: boolean; readonly remoteAddress: string }): void;
}

/** Told to the broker's observer for each send: topic, status, messages and bytes. */
export interface MessagesInEvent {
  readonly topic: string;
  /** The store's PutMessageStatus (`PUT_OK`, `FLUSH_DISK_TIMEOUT`, ...) or `SYSTEM_BUSY` when refused before the store. */
  readonly status: string;
  readonly messages: number;
  /** Sum of the bodies, bytes. */
  readonly bodyBytes: number;
  readonly latencyMs: number;
}

/** Told to the broker's observer for each pull answered: topic, group, messages and bytes. */
export interface MessagesOutEvent {
  readonly topic: string;
  readonly group: string;
  readonly messages: number;
  /** Sum of the records sent, bytes. */
  readonly bytes: number;
}
