// A listener configured like the demo page (clients/js/src/live-connection.js, chat-session.js): the
// official @microsoft/signalr client negotiating through the dev host, automatic reconnect
// on the page's own reconnect policy (clients/js/src/backoff.js), and on every (re)connection a sync
// that joins the document and fetches everything after its cursor, retried as the page does.
//
// Configuration: JSON in BENCH_CATCH_UP: {baseUrl, document, user}.
// stdin commands (JSON lines): {"command": "expect", "seq": n} asks for an event once the
// client holds every message 1..n.
// stdout events (JSON lines), times in wall-clock ms: connected {at}, reconnecting {at},
// reconnected {at}, synced {at, attempts}, complete {at, seq}.

import * as readline from "node:readline";
import { performance } from "node:perf_hooks";
import * as signalR from "@microsoft/signalr";
import { reconnectDelay, sleep } from "../../clients/js/src/backoff.js";
import { syncRetryDelay } from "../../clients/js/src/chat-session.js";

const config = JSON.parse(process.env.BENCH_CATCH_UP);
const headers = { "x-ms-client-principal-id": config.user, "x-ms-client-principal-name": config.user };
const documentPath = `${config.baseUrl}/api/documents/${encodeURIComponent(config.document)}`;

const now = () => performance.timeOrigin + performance.now();
const emit = (event, fields = {}) => process.stdout.write(JSON.stringify({ event, at: now(), ...fields }) + "\n");

const held = new Set();
let cursor = null;
let wanted = null;
let generation = 0;

function hold(message) {
  held.add(message.seq);
  cursor = message.cursor; // messages arrive in seq order here: one sender, one at a time
  checkComplete();
}

function checkComplete() {
  if (wanted === null) return;
  for (let seq = 1; seq <= wanted; seq += 1) if (!held.has(seq)) return;
  emit("complete", { seq: wanted });
  wanted = null;
}

async function call(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    const code = (await response.json().catch(() => null))?.error?.code;
    throw Object.assign(new Error(`${method} ${url} answered ${response.status} ${code}`), { code });
  }
  return response.status === 204 ? null : response.json();
}

// The page's sync: join, then page through everything after the cursor; retried as the
// page retries it (chat-session.js syncRetryDelay).
async function sync(connectionId) {
  const mine = ++generation;
  let delay = 0;
  for (let attempt = 0; mine === generation; attempt += 1) {
    await sleep(delay);
    try {
      await call("POST", `${documentPath}/join`, { connectionId });
      for (;;) {
        const query = cursor ? `after=${encodeURIComponent(cursor)}` : "limit=100";
        const page = await call("GET", `${documentPath}/messages?${query}`);
        const items = cursor ? page.items : page.items.reverse();
        items.forEach(hold);
        if (!page.continuationToken || !items.length || !cursor) break;
      }
    } catch (error) {
      delay = syncRetryDelay(error.code, attempt + 1);
      continue;
    }
    emit("synced", { attempts: attempt + 1 });
    return;
  }
}

const hub = new signalR.HubConnectionBuilder()
  .withUrl(`${config.baseUrl}/api`, { headers })
  .withAutomaticReconnect({
    nextRetryDelayInMilliseconds: ({ previousRetryCount, elapsedMilliseconds }) =>
      reconnectDelay(previousRetryCount, elapsedMilliseconds),
  })
  .configureLogging(signalR.LogLevel.None)
  .build();
hub.on("newMessage", hold);
hub.onreconnecting(() => {
  generation += 1; // the lost connection's sync stops, as the page's does (chat-session.js)
  emit("reconnecting");
});
hub.onreconnected((connectionId) => {
  emit("reconnected");
  sync(connectionId);
});
hub.onclose(() => emit("closed"));
await hub.start();
emit("connected");
await sync(hub.connectionId);

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line);
  if (command.command === "expect") {
    wanted = command.seq;
    checkComplete();
  }
});
