// The listening side of the soak: N official @microsoft/signalr clients in one Node process,
// each signed in as its own dev user, connected through the dev host's negotiate and joined
// to one document, recording the seq of every "newMessage" it hears.
//
// Configuration: JSON in BENCH_LISTENERS: {baseUrl, documents: [id...], perDocument}.
// stdin commands (JSON lines): {"command": "expect", "deliveries": n} ends the run once the
// listeners hold n distinct messages between them (or nothing arrived for QUIET_MS).
// stdout events (JSON lines): ready {listeners}; done {listeners: [{document, seqs}],
// latencyMs: {p50, p95, p99, max, count}, serverMs: {...}, cpuSeconds}.
// Senders put their wall-clock send time (ms) first in each message's text; receipt times
// are this machine's wall clock too, so their difference is the live latency.

import * as readline from "node:readline";
import { performance } from "node:perf_hooks";
import * as signalR from "@microsoft/signalr";

const config = JSON.parse(process.env.BENCH_LISTENERS);
const QUIET_MS = 5000;
// Connecting 100 clients at once through one host only measures the host's queue.
const CONNECT_AT_ONCE = 10;

const now = () => performance.timeOrigin + performance.now();
const emit = (event, fields = {}, then) => process.stdout.write(JSON.stringify({ event, ...fields }) + "\n", then);

let expected = Infinity;
let distinct = 0;
let quietTimer;
const latencies = [];
const serverLatencies = [];

async function post(path, user, body) {
  const response = await fetch(`${config.baseUrl}/api/${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-ms-client-principal-id": user,
      "x-ms-client-principal-name": user,
    },
    body: JSON.stringify(body ?? {}),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.status === 204 ? null : response.json();
}

async function listen(document, index) {
  const user = `soak-listener-${index}`;
  const { url, accessToken } = await post("negotiate", user);
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(url, { accessTokenFactory: () => accessToken, transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(signalR.LogLevel.Error)
    .build();
  const listener = { document, seqs: [], heard: new Set() };
  connection.on("newMessage", (message) => onMessage(listener, message));
  await connection.start();
  await join(document, user, connection.connectionId);
  return listener;
}

// As the page does: a join the service's connected event has not yet reached is answered
// 503 at once, and tried again soon.
const NOT_YET_KNOWN_RETRY_MS = [200, 400, 800];

async function join(document, user, connectionId) {
  const path = `documents/${encodeURIComponent(document)}/join`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await post(path, user, { connectionId });
    } catch (error) {
      if (!String(error.message).endsWith("503") || attempt >= 20) throw error;
      await new Promise((resolve) =>
        setTimeout(resolve, NOT_YET_KNOWN_RETRY_MS[Math.min(attempt, NOT_YET_KNOWN_RETRY_MS.length - 1)]),
      );
    }
  }
}

function onMessage(listener, message) {
  const at = now();
  listener.seqs.push(message.seq);
  if (!listener.heard.has(message.seq)) {
    listener.heard.add(message.seq);
    distinct += 1;
  }
  const sentAt = Number.parseFloat(message.text);
  if (Number.isFinite(sentAt)) latencies.push(at - sentAt);
  serverLatencies.push(at - Date.parse(message.createdAt));
  if (distinct >= expected) finish();
  else if (expected !== Infinity) watchForQuiet();
}

function percentiles(samples) {
  const sorted = Float64Array.from(samples).sort();
  const at = (fraction) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] : null);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1), count: sorted.length };
}

function watchForQuiet() {
  clearTimeout(quietTimer);
  quietTimer = setTimeout(finish, QUIET_MS);
}

function finish() {
  clearTimeout(quietTimer);
  const cpu = process.cpuUsage();
  emit("done", {
    listeners: listeners.map(({ document, seqs }) => ({ document, seqs })),
    latencyMs: percentiles(latencies),
    serverMs: percentiles(serverLatencies),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }, () => process.exit(0)); // exit only once the pipe has taken the whole report
}

const listeners = [];
const plan = config.documents.flatMap((document) => Array.from({ length: config.perDocument }, () => document));
for (let first = 0; first < plan.length; first += CONNECT_AT_ONCE) {
  const batch = plan.slice(first, first + CONNECT_AT_ONCE);
  listeners.push(...(await Promise.all(batch.map((document, offset) => listen(document, first + offset)))));
}
emit("ready", { listeners: listeners.length });

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line);
  if (command.command === "expect") {
    expected = command.deliveries;
    if (distinct >= expected) finish();
    else watchForQuiet();
  }
});
