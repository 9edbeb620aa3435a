// The receiving side of the fan-out benchmark: N official @microsoft/signalr clients in one
// Node process, counting deliveries of "tick" and timing those that carry a send time.
//
// Configuration: JSON in BENCH_CLIENTS: {url, accessToken, clients, protocol}.
// stdin commands (JSON lines): {"command": "expect", "deliveries": n} starts a round;
// stdout events (JSON lines): ready {connected}, done {received, lastAt, p50Ms, p99Ms, cpuSeconds},
// stalled {received}. Times are wall-clock milliseconds, comparable with Python's time.time().

import * as readline from "node:readline";
import { performance } from "node:perf_hooks";
import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

const config = JSON.parse(process.env.BENCH_CLIENTS);
const STALL_MS = 15000;

const now = () => performance.timeOrigin + performance.now();
const emit = (event, fields = {}) => process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");

let expected = 0;
let received = 0;
let lastAt = 0;
let latencies = [];
let stallTimer;
let cpuAtStart = process.cpuUsage();

function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

function finishRound() {
  clearTimeout(stallTimer);
  const sorted = Float64Array.from(latencies).sort();
  const cpu = process.cpuUsage(cpuAtStart);
  emit("done", {
    received,
    lastAt,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  });
  expected = 0;
}

function watchForStall() {
  clearTimeout(stallTimer);
  stallTimer = setTimeout(() => emit("stalled", { received }), STALL_MS);
}

function onTick(sentAt) {
  const at = now();
  received += 1;
  lastAt = at;
  if (sentAt !== null) latencies.push(at - sentAt);
  if (received === expected) finishRound();
  else if (received % 10000 === 0) watchForStall();
}

function build() {
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(config.url, {
      accessTokenFactory: () => config.accessToken,
      transport: signalR.HttpTransportType.WebSockets,
    })
    .configureLogging(signalR.LogLevel.Error);
  if (config.protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  connection.on("tick", onTick);
  return connection;
}

const connections = Array.from({ length: config.clients }, build);
await Promise.all(connections.map((connection) => connection.start()));
emit("ready", { connected: connections.length });

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line);
  if (command.command === "expect") {
    expected = command.deliveries;
    received = 0;
    latencies = [];
    cpuAtStart = process.cpuUsage();
    watchForStall();
  }
});
