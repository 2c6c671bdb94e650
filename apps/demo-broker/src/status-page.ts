// The status page served at `/`: one self-contained HTML document (inline CSS and JS, no external
// resources, works offline). It polls /api/status every 500 ms, keeps the last two minutes of samples
// and draws them on two canvases: the three commit-log positions, and the commit and flush lags.

const STYLE = `
:root { color-scheme: light; --wrote: #2563eb; --committed: #ea580c; --flushed: #16a34a; --muted: #64748b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #0f172a; }
body { background: #f8fafc; }
header { padding: 14px 22px; background: #0f172a; color: #f8fafc; }
header { display: flex; gap: 18px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
header .state { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #16a34a; }
header .state.down { background: #dc2626; }
main { padding: 16px 22px; display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
section { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 12px 16px; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 0 0 8px; }
.wide { grid-column: 1 / -1; }
.strategy-name { font-size: 20px; font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0 0; }
dt { color: var(--muted); }
dd { margin: 0; }
canvas { width: 100%; height: 220px; display: block; }
.legend { display: flex; gap: 16px; font-size: 12px; margin-top: 4px; flex-wrap: wrap; }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 3px; margin-right: 5px; }
.legend span::before { vertical-align: middle; background: currentColor; }
.wrote { color: var(--wrote); } .committed { color: var(--committed); } .flushed { color: var(--flushed); }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #f1f5f9; }
th { color: var(--muted); font-weight: 500; }
td.num, th.num { text-align: right; }
.empty { color: var(--muted); font-style: italic; }
.numbers { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 8px; }
.numbers div b { display: block; font-size: 18px; font-variant-numeric: tabular-nums; }
.numbers div small { color: var(--muted); }
button { font: inherit; padding: 4px 12px; border-radius: 6px; border: 1px solid #94a3b8; background: #fff; }
button { cursor: pointer; }
code { font-size: 12px; background: #f1f5f9; padding: 1px 4px; border-radius: 4px; }
`;

const SCRIPT = `
"use strict";
const HISTORY = 240, POLL_MS = 500;
const samples = [];
const $ = (id) => document.getElementById(id);

function bytes(n) {
  if (!Number.isFinite(n)) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0, v = Math.abs(n);
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (n < 0 ? "-" : "") + (i === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1)) + " " + units[i];
}
function count(n) { return Number(n).toLocaleString("en-US"); }
function setText(id, text) { const el = $(id); if (el.textContent !== text) el.textContent = text; }

function draw(canvas, series, options) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const left = 78, right = 8, top = 8, bottom = 20;
  const values = series.flatMap((s) => samples.map(s.value));
  let min = options.zeroBased ? 0 : Math.min(...values), max = Math.max(...values);
  if (!Number.isFinite(min) || !Number.isFinite(max)) { min = 0; max = 1; }
  if (max - min < 1) { max = min + 1; }
  const now = samples.length ? samples[samples.length - 1].time : Date.now();
  const span = HISTORY * POLL_MS;
  const x = (t) => left + (width - left - right) * (1 - (now - t) / span);
  const y = (v) => top + (height - top - bottom) * (1 - (v - min) / (max - min));
  g.font = "11px system-ui, sans-serif"; g.fillStyle = "#64748b"; g.strokeStyle = "#e2e8f0"; g.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = min + (max - min) * k / 4, py = y(v);
    g.beginPath(); g.moveTo(left, py); g.lineTo(width - right, py); g.stroke();
    g.fillText(bytes(Math.round(v)), 4, py + 4);
  }
  g.fillText("-" + (span / 1000) + " s", left, height - 5);
  g.fillText("now", width - right - 22, height - 5);
  for (const s of series) {
    g.strokeStyle = s.color; g.lineWidth = s.width || 2; g.beginPath();
    samples.forEach((p, i) => {
      const px = x(p.time), py = y(s.value(p));
      if (i === 0) g.moveTo(px, py); else g.lineTo(px, py);
    });
    g.stroke();
  }
  canvas.dataset.points = String(samples.length);
  canvas.dataset.last = samples.length ? String(series[0].value(samples[samples.length - 1])) : "";
}

function color(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

function plot() {
  draw($("positions"), [
    { value: (p) => p.wrote, color: color("--wrote"), width: 4 },
    { value: (p) => p.committed, color: color("--committed"), width: 2.5 },
    { value: (p) => p.flushed, color: color("--flushed"), width: 1.5 },
  ], { zeroBased: false });
  draw($("lags"), [
    { value: (p) => p.commitLag, color: color("--committed") },
    { value: (p) => p.flushLag, color: color("--flushed") },
  ], { zeroBased: true });
}

function table(id, rows, columns, emptyText) {
  const body = $(id);
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = body.insertRow(), td = tr.insertCell();
    td.colSpan = columns.length; td.className = "empty"; td.textContent = emptyText;
    return;
  }
  for (const row of rows) {
    const tr = body.insertRow();
    for (const c of columns) {
      const td = tr.insertCell();
      td.textContent = c.text(row);
      if (c.num) td.className = "num";
    }
  }
}

function rate(key) {
  if (samples.length < 2) return 0;
  const a = samples[Math.max(0, samples.length - 5)], b = samples[samples.length - 1];
  return b.time > a.time ? (b[key] - a[key]) * 1000 / (b.time - a.time) : 0;
}

function render(s) {
  const p = s.positions;
  samples.push({
    time: s.time, wrote: p.wrote, committed: p.committed, flushed: p.flushed,
    commitLag: p.commitLag, flushLag: p.flushLag, messagesIn: s.traffic.messagesIn,
  });
  while (samples.length > HISTORY) samples.shift();
  setText("strategy", s.strategy.name);
  setText("ack", s.strategy.acknowledgedWhen);
  setText("crash", s.strategy.processCrash);
  setText("power", s.strategy.powerLoss);
  setText("services", s.strategy.services.join(", "));
  setText("broker", s.broker.name + " @ " + s.broker.cluster);
  setText("store-path", s.broker.storePath);
  const ports = s.broker.ports;
  const served = (port) => port ?? "off";
  setText("ports", "remoting " + served(ports.listen) + ", name server " + served(ports.namesrv) + ", gRPC " + served(ports.grpc) + ", http " + ports.http);
  setText("recovery", s.recovery.mode + (s.recovery.truncatedBytes ? ", cut " + bytes(s.recovery.truncatedBytes) : ""));
  setText("wrote", bytes(p.wrote)); setText("committed", bytes(p.committed)); setText("flushed", bytes(p.flushed));
  setText("commit-lag", bytes(p.commitLag)); setText("flush-lag", bytes(p.flushLag));
  setText("rate", bytes(Math.round(rate("wrote"))) + "/s");
  setText("msg-rate", count(Math.round(rate("messagesIn"))) + " msg/s");
  setText("messages-in", count(s.traffic.messagesIn));
  setText("messages-out", count(s.traffic.messagesOut));
  setText("connections", count(s.traffic.connections));
  setText("disk", s.disk ? bytes(s.disk.availableBytes) + " free of " + bytes(s.disk.totalBytes) : "-");
  setText("load", s.broker.loadCommand);
  const topicColumns = [
    { text: (t) => t.topic }, { text: (t) => String(t.queues), num: true }, { text: (t) => count(t.messages), num: true },
  ];
  table("topics", s.topics, topicColumns, "No topics yet: send some messages.");
  const groupColumns = [{ text: (g) => g.group }, { text: (g) => g.topic }, { text: (g) => count(g.lag), num: true }];
  table("groups", s.consumerGroups, groupColumns, "No consumer groups yet.");
  plot();
}

async function poll() {
  try {
    const response = await fetch("/api/status", { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    render(await response.json());
    setText("state", "live"); $("state").className = "state";
  } catch (error) {
    setText("state", "disconnected"); $("state").className = "state down";
  }
  setTimeout(poll, POLL_MS);
}

window.addEventListener("resize", plot);
poll();
`;

const BODY = `
<header><h1>demo-broker</h1><span id="broker"></span><span class="state" id="state">connecting</span></header>
<main>
  <section>
    <h2>Flush strategy</h2>
    <div class="strategy-name" id="strategy">-</div>
    <dl>
      <dt>acknowledged when</dt><dd id="ack"></dd>
      <dt>process crash</dt><dd id="crash"></dd>
      <dt>power loss</dt><dd id="power"></dd>
      <dt>services</dt><dd id="services"></dd>
    </dl>
  </section>
  <section>
    <h2>Broker</h2>
    <dl>
      <dt>ports</dt><dd id="ports"></dd>
      <dt>store</dt><dd id="store-path"></dd>
      <dt>last recovery</dt><dd id="recovery"></dd>
      <dt>disk</dt><dd id="disk"></dd>
      <dt>send load</dt>
      <dd><code id="load">-</code></dd>
    </dl>
  </section>
  <section class="wide">
    <h2>Commit log positions</h2>
    <div class="numbers">
      <div class="wrote"><b id="wrote">-</b><small>wrote</small></div>
      <div class="committed"><b id="committed">-</b><small>committed (in the file)</small></div>
      <div class="flushed"><b id="flushed">-</b><small>flushed (on disk)</small></div>
      <div><b id="rate">-</b><small>append rate</small></div>
      <div><b id="msg-rate">-</b><small>messages in</small></div>
    </div>
    <canvas id="positions" aria-label="wrote, committed and flushed positions over time"></canvas>
    <div class="legend">
      <span class="wrote">wrote</span><span class="committed">committed</span><span class="flushed">flushed</span>
    </div>
  </section>
  <section class="wide">
    <h2>Lag behind the write position</h2>
    <div class="numbers">
      <div class="committed"><b id="commit-lag">-</b><small>commit lag: wrote − committed (in a pool buffer)</small></div>
      <div class="flushed"><b id="flush-lag">-</b><small>flush lag: committed − flushed (not on disk)</small></div>
    </div>
    <canvas id="lags" aria-label="commit lag and flush lag over time"></canvas>
    <div class="legend"><span class="committed">commit lag</span><span class="flushed">flush lag</span></div>
  </section>
  <section>
    <h2>Topics</h2>
    <table>
      <thead><tr><th>topic</th><th class="num">queues</th><th class="num">messages</th></tr></thead>
      <tbody id="topics"></tbody>
    </table>
  </section>
  <section>
    <h2>Consumer groups</h2>
    <table>
      <thead><tr><th>group</th><th>topic</th><th class="num">lag</th></tr></thead>
      <tbody id="groups"></tbody>
    </table>
    <div class="numbers" style="margin-top:10px">
      <div><b id="messages-in">-</b><small>messages in</small></div>
      <div><b id="messages-out">-</b><small>messages out</small></div>
      <div><b id="connections">-</b><small>connections</small></div>
    </div>
  </section>
</main>
`;

/** The status page: a complete HTML document with everything inline. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>demo-broker status</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;
