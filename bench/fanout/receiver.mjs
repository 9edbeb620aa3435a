// The receiving side of the fan-out benchmarks, shared by each one's clients script: counts
// deliveries and times those that carry a send time.
//
// A clients script builds its official clients, calls `receive(connectAll)` with a function
// that connects them all, calling `onMessage(sentAt)` for every message (sentAt: the send's
// wall-clock ms, or null) and resolving to how many are connected.
// Configuration: JSON in BENCH_CLIENTS (the script reads it with `config()`).
// stdin commands (JSON lines): {"command": "expect", "deliveries": n} starts a round;
// stdout events (JSON lines): ready {connected}, expecting (the round has begun), done {received, lastAt, p50Ms, p99Ms, cpuSeconds},
// stalled {received}. Times are wall-clock milliseconds, comparable with Python's time.time().

import * as readline from "node:readline";
import { performance } from "node:perf_hooks";

const STALL_MS = 15000;

const now = () => performance.timeOrigin + performance.now();
const emit = (event, fields = {}) => process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");

export const config = () => JSON.parse(process.env.BENCH_CLIENTS);

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

function onMessage(sentAt) {
  const at = now();
  received += 1;
  lastAt = at;
  if (typeof sentAt === "number") latencies.push(at - sentAt);
  if (received === expected) finishRound();
  else if (received % 10000 === 0) watchForStall();
}

export async function receive(connectAll) {
  emit("ready", { connected: await connectAll(onMessage) });
  readline.createInterface({ input: process.stdin }).on("line", (line) => {
    const command = JSON.parse(line);
    if (command.command === "expect") {
      expected = command.deliveries;
      received = 0;
      latencies = [];
      cpuAtStart = process.cpuUsage();
      watchForStall();
      emit("expecting");
    }
  });
}
