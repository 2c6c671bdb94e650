import { fileURLToPath } from "node:url";
import type { RecoveryReport } from "@store/commitlog";
import type { ServedPorts } from "./broker-runtime.js";
import type { FlushStrategy } from "./flush-strategy.js";

/** What the start banner shows. */
export interface BannerInfo {
  readonly brokerName: string;
  readonly storePath: string;
  readonly strategy: FlushStrategy;
  readonly recovery: RecoveryReport;
  /** Bound ports; null for what is not served in this build. */
  readonly ports: ServedPorts & { readonly http: number };
  /** The configured ports, for the "not served" lines. */
  readonly configuredPorts: {
    readonly listen: number;
    readonly namesrv: number;
    readonly grpc: number;
    readonly enableGrpc: boolean;
  };
}

/** Where the page is, as a user would type it. */
export function statusUrl(httpPort: number): string {
  return `http://127.0.0.1:${httpPort}/`;
}

/** The demo-broker bin (this build's main.js), as `node` runs it. */
export const BIN_PATH = fileURLToPath(new URL("./main.js", import.meta.url));

/** How to send load over the wire: `demo-broker bench` against this broker's name server (or its port). */
export function loadCommand(ports: Pick<ServedPorts, "listen" | "namesrv">): string {
  const target =
    ports.namesrv !== null
      ? `--namesrvAddr=127.0.0.1:${ports.namesrv}`
      : `--brokerAddr=127.0.0.1:${ports.listen ?? 10911}`;
  return `node ${BIN_PATH} bench ${target} --messages=100000 --size=1024 --verify`;
}

/** "remoting 10911, name server 9876" served, and what is not served yet, in two phrases. */
function portLines(info: BannerInfo): string[] {
  const c = info.configuredPorts;
  const entries: [string, number | null, number][] = [
    ["remoting", info.ports.listen, c.listen],
    ["name server", info.ports.namesrv, c.namesrv],
  ];
  if (c.enableGrpc) entries.push(["gRPC", info.ports.grpc, c.grpc]);
  const served = entries
    .filter(([, bound]) => bound !== null)
    .map(([what, bound]) => `${what} ${bound}`);
  const pending = entries
    .filter(([, bound]) => bound === null)
    .map(([what, , configured]) => `${what} ${configured}`);
  const lines = [...served, `http ${info.ports.http}`].join(", ");
  return pending.length === 0 ? [lines] : [lines, `${pending.join(", ")}: not served`];
}

/** Where each client generation points. */
function clientLines(ports: BannerInfo["ports"]): string[] {
  const lines: string[] = [];
  if (ports.namesrv !== null)
    lines.push(`  4.x        ali-ons / Java 4.x clients: nameSrv 127.0.0.1:${ports.namesrv}`);
  if (ports.grpc !== null)
    lines.push(
      `  5.x        rocketmq-client-nodejs / Java 5 clients: endpoints 127.0.0.1:${ports.grpc}`,
    );
  return lines;
}

/** The short block printed once the broker is ready. */
export function renderBanner(info: BannerInfo): string {
  const s = info.strategy;
  const recovery =
    info.recovery.mode === "abnormal"
      ? "abnormal (the last run crashed; see the log above)"
      : info.recovery.mode;
  return [
    `demo-broker ${info.brokerName} ready`,
    `  strategy   ${s.name}: acknowledged when ${s.acknowledgedWhen}`,
    `             process crash: ${s.processCrash}; power loss: ${s.powerLoss}`,
    `  services   ${s.services.join(", ")}`,
    `  store      ${info.storePath} (recovery: ${recovery})`,
    ...portLines(info).map(
      (line, index) => `${index === 0 ? "  ports      " : "             "}${line}`,
    ),
    ...clientLines(info.ports),
    `  status     ${statusUrl(info.ports.http)}  (also /metrics, /healthz, /api/status)`,
    `  send load  ${loadCommand(info.ports)}`,
    `  stop       Ctrl-C (flushes, checkpoints and exits)`,
  ].join("\n");
}
