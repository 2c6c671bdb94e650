import type { ServerDuplexStream } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { ClientSettingsManager } from "./client-settings-manager.js";
import type { HeartbeatRequest, Status, TelemetryCommand } from "./proto-types.js";
import { Code, OK_STATUS, status } from "./status.js";

export type TelemetryCall = ServerDuplexStream<TelemetryCommand, TelemetryCommand>;

/** The client id every call carries in `x-mq-client-id`, or "" when missing. */
export function clientIdOf(call: { metadata: { get(key: string): unknown[] } }): string {
  const value = call.metadata.get("x-mq-client-id")[0];
  return typeof value === "string" ? value : Buffer.isBuffer(value) ? value.toString() : "";
}

/**
 * Telemetry, Heartbeat and NotifyClientTermination (the Java proxy's ClientActivity). Each Settings
 * command on a telemetry stream is answered with the complete reply; the client's half-close is
 * answered with `call.end()` (research pitfall 7: cancelling instead crashes the client at shutdown).
 */
export class ClientActivity {
  readonly #settings: ClientSettingsManager;
  readonly #logger: Logger;
  readonly #streams = new Set<TelemetryCall>();

  constructor(settings: ClientSettingsManager, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
  }

  /** Telemetry streams open now. */
  get streamCount(): number {
    return this.#streams.size;
  }

  telemetry(call: TelemetryCall): void {
    const clientId = clientIdOf(call);
    this.#streams.add(call);
    const close = (): void => {
      this.#streams.delete(call);
    };
    call.on("data", (command: TelemetryCommand) => this.#onCommand(call, clientId, command));
    call.on("end", () => {
      close();
      call.end();
    });
    call.on("error", (error) => {
      close();
      this.#logger.debug({ err: error, clientId }, "telemetry stream error");
    });
    call.on("cancelled", close);
  }

  #onCommand(call: TelemetryCall, clientId: string, command: TelemetryCommand): void {
    if (command.settings === undefined) return; // thread stack traces, verify results: nothing to do
    if (clientId === "") {
      call.write({
        status: status(Code.CLIENT_ID_REQUIRED, "x-mq-client-id metadata is required"),
      });
      return;
    }
    if (!this.#settings.update(clientId, command.settings)) {
      call.write({ status: status(Code.TOO_MANY_REQUESTS, "too many clients connected") });
      return;
    }
    call.write({ status: OK_STATUS, settings: this.#settings.reply(command.settings) });
  }

  heartbeat(clientId: string, _request: HeartbeatRequest): { status: Status } {
    if (clientId === "")
      return { status: status(Code.CLIENT_ID_REQUIRED, "x-mq-client-id metadata is required") };
    this.#settings.touch(clientId);
    return { status: OK_STATUS };
  }

  notifyClientTermination(clientId: string): { status: Status } {
    this.#settings.remove(clientId);
    return { status: OK_STATUS };
  }

  /** Ends every telemetry stream with OK (graceful shutdown: the clients see a normal end). */
  endAll(): void {
    for (const call of [...this.#streams]) {
      this.#streams.delete(call);
      try {
        call.end();
      } catch (error) {
        this.#logger.debug({ err: error }, "telemetry end failed");
      }
    }
  }
}
