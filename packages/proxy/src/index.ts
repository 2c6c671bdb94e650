// Public API of @store/proxy. Named exports only: what is not listed here is internal.

export { GrpcProxy, messagingServiceDefinition, PROTO_ROOT } from "./grpc-proxy.js";
export type { GrpcProxyOptions } from "./grpc-proxy.js";
export type { ProxyBroker, ProxyMessageStore, ProxyTopicQueues } from "./proxy-broker.js";
export { MessageStoreBroker } from "./message-store-broker.js";
export type { MessageStoreBrokerOptions } from "./message-store-broker.js";
export { md5Uppercase, SYSTEM_PROPERTY_KEYS, toProtoMessage } from "./grpc-converter.js";
export { Code } from "./status.js";
export type { CodeName } from "./status.js";
