import type { Client, ClientDuplexStream, ServiceClientConstructor } from "@grpc/grpc-js";
import { credentials, loadPackageDefinition, Metadata } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { PROTO_ROOT } from "../src/index.js";

type Unary = (
  request: object,
  metadata: Metadata,
  options: object,
  callback: (error: Error | null, response: Record<string, unknown>) => void,
) => void;

const definition = loadSync("apache/rocketmq/v2/service.proto", {
  includeDirs: [PROTO_ROOT],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
});
const v2 = (
  loadPackageDefinition(definition).apache as Record<
    string,
    Record<string, Record<string, unknown>>
  >
).rocketmq!.v2!;
const MessagingService = v2.MessagingService as ServiceClientConstructor;

/** A bare grpc-js client of MessagingService, for requests the real client never makes. */
export class RawClient {
  readonly client: Client;
  readonly clientId: string;

  constructor(
    endpoints: string,
    clientId = `raw@${process.pid}@${Math.random().toString(36).slice(2)}`,
  ) {
    this.client = new MessagingService(endpoints, credentials.createInsecure(), {
      "grpc.max_send_message_length": 16 * 1024 * 1024,
    });
    this.clientId = clientId;
  }

  metadata(): Metadata {
    const metadata = new Metadata();
    metadata.set("x-mq-client-id", this.clientId);
    return metadata;
  }

  /** Calls a unary method; resolves the response, rejects with the gRPC error. */
  call(method: string, request: object, deadlineMs = 10_000): Promise<Record<string, unknown>> {
    const fn = (this.client as unknown as Record<string, Unary>)[method]!.bind(this.client);
    return new Promise((resolve, reject) => {
      fn(request, this.metadata(), { deadline: Date.now() + deadlineMs }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  /** Runs a server-streaming method to its end; resolves every response. */
  stream(method: string, request: object, deadlineMs = 10_000): Promise<Record<string, unknown>[]> {
    const fn = (
      this.client as unknown as Record<
        string,
        (r: object, m: Metadata, o: object) => NodeJS.ReadableStream
      >
    )[method]!.bind(this.client);
    const call = fn(request, this.metadata(), { deadline: Date.now() + deadlineMs });
    const responses: Record<string, unknown>[] = [];
    return new Promise((resolve, reject) => {
      call.on("data", (response: Record<string, unknown>) => responses.push(response));
      call.on("end", () => resolve(responses));
      call.on("error", reject);
    });
  }

  /** Opens a Telemetry stream. */
  telemetry(): ClientDuplexStream<object, Record<string, unknown>> {
    const fn = (
      this.client as unknown as Record<
        string,
        (m: Metadata) => ClientDuplexStream<object, Record<string, unknown>>
      >
    ).Telemetry!.bind(this.client);
    return fn(this.metadata());
  }

  close(): void {
    this.client.close();
  }
}

/** A status's code name. */
export function codeOf(response: Record<string, unknown>): string | undefined {
  return (response.status as { code?: string } | undefined)?.code;
}
