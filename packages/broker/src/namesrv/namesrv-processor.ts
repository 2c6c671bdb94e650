import { RemotingCommand } from "../remoting/remoting-command.js";
import { clusterInfoResponse } from "../remoting/get-broker-cluster-info/response.js";
import {
  decodeGetRouteInfoRequest,
  routeInfoResponse,
} from "../remoting/get-routeinfo-by-topic/request.js";
import {
  decodeRegisterBrokerRequest,
  registerBrokerResponse,
} from "../remoting/register-broker/request.js";
import { RequestCode } from "../remoting/request-code.js";
import { ResponseCode } from "../remoting/response-code.js";
import { decodeUnregisterBrokerRequest } from "../remoting/unregister-broker/request.js";
import type { RequestContext, RequestProcessor } from "../request-processor.js";
import type { RouteInfoManager } from "./route-info-manager.js";

/**
 * The name server's codes (DefaultRequestProcessor.java): GET_ROUTEINFO_BY_TOPIC (105) for any topic
 * (including `%RETRY%` ones, routed to brokers that create topics on first use), GET_BROKER_CLUSTER_INFO
 * (106), REGISTER_BROKER (103) and UNREGISTER_BROKER (104). A broker registered over a connection
 * leaves the routes when that connection closes (BrokerHousekeepingService), as a crashed one does.
 */
export class NamesrvProcessor implements RequestProcessor {
  readonly #routes: RouteInfoManager;
  /** Connections brokers registered over (one close listener each). */
  readonly #watched = new Set<number>();

  constructor(routes: RouteInfoManager) {
    this.#routes = routes;
  }

  /** Answers the name-server requests: broker registration, routes, cluster info. */
  processRequest(request: RemotingCommand, context?: RequestContext): RemotingCommand {
    switch (request.code) {
      case RequestCode.GET_ROUTEINFO_BY_TOPIC: {
        const { topic } = decodeGetRouteInfoRequest(request);
        const route = this.#routes.pickupTopicRouteData(topic);
        if (route === null)
          return RemotingCommand.response(
            request,
            ResponseCode.TOPIC_NOT_EXIST,
            `No topic route info in name server for the topic: ${topic.slice(0, 200)}`,
          );
        return routeInfoResponse(request, route);
      }
      case RequestCode.GET_BROKER_CLUSTER_INFO:
        return clusterInfoResponse(request, this.#routes.getClusterInfo());
      case RequestCode.REGISTER_BROKER: {
        const { header, body } = decodeRegisterBrokerRequest(request);
        const connection = context?.connection;
        if (!this.#routes.registerBroker(header, body, Date.now(), connection?.id)) {
          return RemotingCommand.response(
            request,
            ResponseCode.SYSTEM_BUSY,
            "too many brokers registered",
          );
        }
        if (connection !== undefined && !this.#watched.has(connection.id)) {
          this.#watched.add(connection.id);
          connection.onClose(() => {
            this.#watched.delete(connection.id);
            this.#routes.onChannelDestroy(connection.id);
          });
        }
        return registerBrokerResponse(
          request,
          header.brokerId === 0
            ? ""
            : (this.#routes.getClusterInfo().brokerAddrTable[header.brokerName]?.brokerAddrs["0"] ??
                ""),
        );
      }
      default: {
        const header = decodeUnregisterBrokerRequest(request);
        this.#routes.unregisterBroker(header.brokerAddr, header.brokerName, header.brokerId);
        return RemotingCommand.response(request, ResponseCode.SUCCESS);
      }
    }
  }
}
