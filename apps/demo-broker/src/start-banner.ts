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

/** How to send load today: the in-process writer behind POST /api/load. */
export function loadCommand(httpPort: number): string {
  return `curl -X POST '${statusUrl(httpPort)}api/load?messages=100000&size=1024'`;
}

/** "remoting 10911, name server 9876" served, and what is not served yet, in two phrases. */
function portLines(info: BannerInfo): string[] {
  const c = info.configuredPorts;
  const entries: [string, number | null, number][] = [
    ["remoting", info.ports.listen, c.listen],
    ["name server", info.ports.namesrv, c.namesrv],
  ];
  if (c.enableGrpc) entries.push(["gRPC", info.ports.grpc, c.grpc]);
  const served = entries.filter(([, bound]) => bound !== null).map(([what, bound]) => `${what} ${bound}`);
  const pending = entries.filter(([, bound]) => bound === null).map(([what, , configured]) => `${what} ${configured}`);
  const lines = [...served, `http ${info.ports.http}`].join(", ");
  return pending.length === 0 ? [lines] : [lines, `${pending.join(", ")}: not served yet (the broker is not in this build)`];
}

/** The short block printed once the broker is ready. */
export function renderBanner(info: BannerInfo): string {
  const s = info.strategy;
  const recovery = info.recovery.mode === "abnormal" ? "abnormal (the last run crashed; see the log above)" : info.recovery.mode;
  return [
    `demo-broker ${info.brokerName} ready`,
    `  strategy   ${s.name}: acknowledged when ${s.acknowledgedWhen}`,
    `             process crash: ${s.processCrash}; power loss: ${s.powerLoss}`,
    `  services   ${s.services.join(", ")}`,
    `  store      ${info.storePath} (recovery: ${recovery})`,
    ...portLines(info).map((line, index) => `${index === 0 ? "  ports      " : "             "}${line}`),
    `  status     ${statusUrl(info.ports.http)}  (also /metrics, /healthz, /api/status)`,
    `  send load  ${loadCommand(info.ports.http)}`,
    `  stop       Ctrl-C (flushes, checkpoints and exits)`,
  ].join("\n");
}
