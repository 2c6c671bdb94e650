import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { Logger } from "pino";

/** What the HTTP endpoints serve; the app wires these to the runtime and metrics. */
export interface HttpHandlers {
  /** `/`: the status page. */
  readonly page: string;
  /** `/api/status`: the status JSON. */
  status(): Promise<unknown>;
  /** `/metrics`: Prometheus text. */
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
  /** `/healthz`: whether the broker takes writes, and why not. */
  health(): { readonly ok: boolean; readonly reason: string };
}

/** Limits of the HTTP server: it answers small GETs. */
const LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
} as const;

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  const headers = {
    "content-type": contentType,
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(body),
  };
  response.writeHead(status, headers);
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, "application/json; charset=utf-8", `${JSON.stringify(value)}\n`);
}

/**
 * The broker's HTTP side on httpPort: `/` (the live status page), `/api/status`, `/metrics`,
 * and `/healthz`, read-only.
 */
export class StatusHttpServer {
  readonly #handlers: HttpHandlers;
  readonly #logger: Logger;
  #server: Server | null = null;
  #port = 0;

  constructor(handlers: HttpHandlers, logger: Logger) {
    this.#handlers = handlers;
    this.#logger = logger;
  }

  /** The bound port (after `start`). */
  get port(): number {
    return this.#port;
  }

  /** Listens on `port` (0: a free one) on all interfaces; resolves the bound port. */
  async start(port: number, host?: string): Promise<number> {
    const server = createServer((request, response) => void this.#handle(request, response));
    server.headersTimeout = LIMITS.headersTimeoutMs;
    server.requestTimeout = LIMITS.requestTimeoutMs;
    server.keepAliveTimeout = LIMITS.keepAliveTimeoutMs;
    server.maxConnections = LIMITS.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
    const address = server.address();
    this.#port = typeof address === "object" && address !== null ? address.port : port;
    return this.#port;
  }

  /** Stops accepting, lets responses in progress finish, and closes idle keep-alive connections. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), 2000);
    await closed;
    clearTimeout(timer);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Bodies are never read: drop whatever a client sends instead of buffering it.
    request.resume();
    try {
      const url = new URL(request.url ?? "/", "http://localhost");
      const route = `${request.method ?? "GET"} ${url.pathname}`;
      switch (route) {
        case "GET /":
        case "GET /index.html":
          return send(response, 200, "text/html; charset=utf-8", this.#handlers.page);
        case "GET /api/status":
          return sendJson(response, 200, await this.#handlers.status());
        case "GET /metrics": {
          const metrics = await this.#handlers.metrics();
          return send(response, 200, metrics.contentType, metrics.body);
        }
        case "GET /healthz": {
          const health = this.#handlers.health();
          return sendJson(response, health.ok ? 200 : 503, {
            status: health.ok ? "ok" : "unavailable",
            reason: health.reason,
          });
        }
        default: {
          const known = ["/", "/index.html", "/api/status", "/metrics", "/healthz"].includes(
            url.pathname,
          );
          const error = known
            ? `${request.method} not allowed here`
            : `no such page: ${url.pathname}`;
          return sendJson(response, known ? 405 : 404, { error });
        }
      }
    } catch (error) {
      this.#logger.error({ err: error, url: request.url }, "HTTP request failed");
      if (!response.headersSent) sendJson(response, 500, { error: "internal error" });
      else response.destroy();
    }
  }
}
