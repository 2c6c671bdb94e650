// Public API of @store/broker. Named exports only: what is not listed here is internal.

// Remoting protocol: frames, commands, codes.
export {
  RemotingCommand,
  FLAG_ONEWAY,
  FLAG_RESPONSE,
  REMOTING_VERSION,
  SERIALIZE_TYPE_JSON,
  SERIALIZE_TYPE_ROCKETMQ,
} from "./remoting/remoting-command.js";
export type { ExtFields, RemotingCommandInit, SerializeType } from "./remoting/remoting-command.js";
export { FrameDecoder, DEFAULT_FRAME_LIMITS } from "./remoting/frame-decoder.js";
export type { FrameLimits } from "./remoting/frame-decoder.js";
export { RequestCode, requestCodeName } from "./remoting/request-code.js";
export { ResponseCode } from "./remoting/response-code.js";
export { HeaderFieldError, RemotingError } from "./remoting/remoting-error.js";
export { optionalBoolean, optionalInt, optionalString, requiredInt, requiredString } from "./remoting/header-fields.js";
export type { IntRange } from "./remoting/header-fields.js";
export type { RemotingErrorCode } from "./remoting/remoting-error.js";

export type { BrokerObserver, MessagesInEvent, MessagesOutEvent } from "./broker-observer.js";

// Client.
export { RemotingClient } from "./remoting-client.js";
export type { RemotingClientOptions, ServerRequestHandler } from "./remoting-client.js";

// Server.
export { RemotingServer, DEFAULT_REMOTING_LIMITS } from "./remoting-server.js";
export type { RemotingServerLimits, RemotingServerOptions } from "./remoting-server.js";
export type { RemotingConnection, RequestContext, RequestHook, RequestProcessor } from "./request-processor.js";
