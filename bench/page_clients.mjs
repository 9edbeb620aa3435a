// Many page-like clients of one document in one Node process, on either backend: the
// official @microsoft/signalr client (the page's LiveConnection: automatic reconnect on the
// page's policy, and a restart loop once it closes) or the official @azure/web-pubsub-client
// (the page's WebPubSubConnection: the JSON subprotocol, negotiating through the app for every
// new connection, its own reconnect off and a new connection on the page's policy). On every
// (re)connection each does the page's sync (chat-session.js): join, catch up on everything
// after its cursor, load who is here; retried on the page's back-off. Presence and typing go
// through the page's own PresenceState (clients/js/src/presence.js).
//
// Configuration: JSON in BENCH_CLIENTS: {baseUrl, backend: "signalr"|"webpubsub", document,
// users: [id...], connectAtOnce, startCursor}. Each user is signed in by dev identity headers;
// startCursor is the cursor of position 0 (before the first message).
// stdin commands (JSON lines):
//   {"command": "type", "clients": [index...]}   each named client sends one typing event
//   {"command": "presence", "users": n}          emit presence once every client shows n users
//   {"command": "expect", "seq": n}              emit caughtUp once every client holds 1..n
//   {"command": "stats"}                         emit stats
// stdout events (JSON lines, times in wall-clock ms): ready {at, clients}, presence {at},
// caughtUp {at, times: [when each client came to hold 1..n]}, stats {..., lastSyncs: [each
// client's latest sync: when it started, its join answered and its catch-up ended]}.

import * as readline from "node:readline";
import { performance } from "node:perf_hooks";
import * as signalR from "@microsoft/signalr";
import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";
import { CATCH_UP_PAGE_SIZE } from "../clients/js/src/api.js";
import { reconnectDelay, sleep } from "../clients/js/src/backoff.js";
import { NOT_YET_KNOWN, PRESENCE_ANNOUNCED_WITHIN_MS, syncRetryDelay } from "../clients/js/src/chat-session.js";
import { PresenceState } from "../clients/js/src/presence.js";

const config = JSON.parse(process.env.BENCH_CLIENTS);
const documentPath = `${config.baseUrl}/api/documents/${encodeURIComponent(config.document)}`;

const now = () => performance.timeOrigin + performance.now();
const emit = (event, fields = {}) => process.stdout.write(JSON.stringify({ event, at: now(), ...fields }) + "\n");

// A connection whose `connected` event the app failed to handle (a 403 to the service while
// Cosmos DB timed out under load) stays unknown to the app for good: every join answers
// connection_not_yet_known. Like the page (chat-session.js NOT_YET_KNOWN_GIVE_UP_MS), these
// clients connect again after STUCK_MS of it, and count it (stuckRestarts).
const STUCK_MS = 3_000;

const counts = { presenceAsked: 0, stuckRestarts: 0, joins: 0, syncFailures: 0, notYetKnown: 0, syncs: 0, connections: 0, typingHeard: 0, typingSent: 0, messagesHeard: 0 };
let presenceWanted = null;
let seqWanted = null;

class PageClient {
  // seq -> the message's cursor, for every message held; `contiguous` holds 1..contiguous.
  held = new Map();
  contiguous = 0;
  connectionId = null;
  // The latest sync's steps (wall-clock ms): started, joined (its join answered), caughtUp.
  lastSync = null;
  #generation = 0;
  #synced;
  // Settles once the first sync has succeeded: start() waits for it.
  firstSync = new Promise((resolve) => (this.#synced = resolve));

  constructor(user) {
    this.user = user;
    this.headers = { "x-ms-client-principal-id": user, "x-ms-client-principal-name": user };
    this.presence = new PresenceState(() => checkPresence());
  }

  async call(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { ...this.headers, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      const code = (await response.json().catch(() => null))?.error?.code;
      throw Object.assign(new Error(`${method} ${url} answered ${response.status} ${code}`), { code });
    }
    return response.status === 204 ? null : response.json();
  }

  onEvent(name, data) {
    if (data?.documentId !== undefined && data.documentId !== config.document) return;
    if (name === "newMessage") {
      counts.messagesHeard += 1;
      this.hold(data);
    } else if (name === "presence") {
      this.presence.update(data.users ?? []);
    } else if (name === "typing") {
      counts.typingHeard += 1;
      if (data.user) this.presence.typed(data.user);
    }
  }

  hold(message) {
    this.held.set(message.seq, message.cursor);
    while (this.held.has(this.contiguous + 1)) this.contiguous += 1;
    checkCaughtUp();
  }

  // The page's sync: join (which announces who is here), catch up after the cursor; retried.
  // As the page, it asks who is here only if no presence event came soon after.
  async sync(connectionId) {
    this.connectionId = connectionId;
    const mine = ++this.#generation;
    const began = Date.now();
    const announcements = this.presence.heard;
    this.lastSync = { started: now(), joined: null, caughtUp: null };
    let delay = 0;
    for (let attempt = 0; mine === this.#generation; attempt += 1) {
      await sleep(delay);
      if (mine !== this.#generation) return;
      try {
        await this.call("POST", `${documentPath}/join`, { connectionId });
        counts.joins += 1;
        this.lastSync.joined = now();
        await this.catchUp();
        this.lastSync.caughtUp = now();
      } catch (error) {
        counts.syncFailures += 1;
        if (error.code === NOT_YET_KNOWN) counts.notYetKnown += 1;
        if (error.code === NOT_YET_KNOWN && Date.now() - began > STUCK_MS) {
          // As the page does: see STUCK_MS.
          counts.stuckRestarts += 1;
          this.#generation += 1;
          this.restart();
          return;
        }
        delay = syncRetryDelay(error.code, attempt + 1);
        continue;
      }
      counts.syncs += 1;
      this.#synced();
      this.awaitAnnouncement(announcements, mine);
      return;
    }
  }

  async awaitAnnouncement(heardBefore, generation) {
    await sleep(PRESENCE_ANNOUNCED_WITHIN_MS);
    if (generation !== this.#generation || this.presence.heard > heardBefore) return;
    counts.presenceAsked += 1;
    const fetchUsers = async () => (await this.call("GET", `${documentPath}/presence`)).users ?? [];
    await this.presence.load(fetchUsers).catch(() => {});
  }

  // Everything after the last contiguous message, as the page's catch-up (and gap filling)
  // reads it: from the start (config.startCursor, position 0) when nothing is held.
  async catchUp() {
    let after = this.contiguous ? this.held.get(this.contiguous) : config.startCursor;
    for (;;) {
      const page = await this.call("GET", `${documentPath}/messages?after=${encodeURIComponent(after)}&limit=${CATCH_UP_PAGE_SIZE}`);
      page.items.forEach((message) => this.hold(message));
      if (!page.continuationToken) return;
      after = page.continuationToken;
    }
  }

  typing() {
    if (!this.connectionId) return;
    counts.typingSent += 1;
    this.sendTyping();
  }

  // The connection is gone, and with it the group: its sync stops, as the page's does
  // (chat-session.js detach), rather than joining a connection the service no longer has.
  lost() {
    this.connectionId = null;
    this.#generation += 1;
  }

  holdsUpTo(seq) {
    return this.contiguous >= seq;
  }
}

class SignalRClient extends PageClient {
  async start() {
    this.hub = new signalR.HubConnectionBuilder()
      .withUrl(`${config.baseUrl}/api`, { headers: this.headers, transport: signalR.HttpTransportType.WebSockets })
      .withAutomaticReconnect({
        nextRetryDelayInMilliseconds: ({ previousRetryCount, elapsedMilliseconds }) =>
          reconnectDelay(previousRetryCount, elapsedMilliseconds),
      })
      .configureLogging(signalR.LogLevel.None)
      .build();
    for (const name of ["newMessage", "presence", "typing"]) this.hub.on(name, (data) => this.onEvent(name, data));
    this.hub.onreconnecting(() => this.lost());
    this.hub.onreconnected((connectionId) => this.connected(connectionId));
    this.hub.onclose(() => this.startLoop());
    this.startLoop();
    await this.firstSync;
  }

  async startLoop() {
    this.connectionId = null;
    const began = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      await sleep(reconnectDelay(attempt, Date.now() - began));
      try {
        await this.hub.start();
      } catch {
        continue;
      }
      return this.connected(this.hub.connectionId);
    }
  }

  connected(connectionId) {
    counts.connections += 1;
    return this.sync(connectionId);
  }

  sendTyping() {
    this.hub.send("typing", config.document).catch(() => {});
  }

  restart() {
    this.hub.stop().catch(() => {}); // onclose starts it again
  }
}

class WebPubSubPageClient extends PageClient {
  async start() {
    this.client = new WebPubSubClient(
      {
        getClientAccessUrl: async () => (await this.call("POST", `${config.baseUrl}/api/negotiate`)).url,
      },
      { protocol: WebPubSubJsonProtocol(), autoReconnect: false, autoRejoinGroups: false },
    );
    this.client.on("connected", ({ connectionId }) => {
      counts.connections += 1;
      this.sync(connectionId);
    });
    const dispatch = ({ message }) => message.data && this.onEvent(message.data.event, message.data.data);
    this.client.on("group-message", dispatch);
    this.client.on("server-message", dispatch);
    this.client.on("disconnected", () => this.lost());
    this.client.on("stopped", () => this.startLoop());
    this.startLoop();
    await this.firstSync;
  }

  async startLoop() {
    this.connectionId = null;
    const began = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      await sleep(reconnectDelay(attempt, Date.now() - began));
      try {
        await this.client.start();
        return;
      } catch {
        continue;
      }
    }
  }

  restart() {
    this.client.stop(); // "stopped" starts it again
  }

  sendTyping() {
    this.client.sendEvent("typing", { documentId: config.document }, "json", { fireAndForget: true }).catch(() => {});
  }
}

function checkPresence() {
  if (presenceWanted === null) return;
  if (clients.length < config.users.length) return;
  if (clients.every((client) => client.presence.users.length === presenceWanted)) {
    presenceWanted = null;
    emit("presence");
  }
}

// When each client came to hold 1..seqWanted, in the order they did.
let caughtAt = new Map();

function checkCaughtUp() {
  if (seqWanted === null || clients.length < config.users.length) return;
  for (const client of clients) {
    if (!caughtAt.has(client) && client.holdsUpTo(seqWanted)) caughtAt.set(client, now());
  }
  if (caughtAt.size === clients.length) {
    seqWanted = null;
    emit("caughtUp", { times: [...caughtAt.values()] });
  }
}

const clients = [];
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line);
  if (command.command === "type") {
    for (const index of command.clients) clients[index].typing();
  } else if (command.command === "presence") {
    presenceWanted = command.users;
    checkPresence();
  } else if (command.command === "expect") {
    seqWanted = command.seq;
    caughtAt = new Map();
    checkCaughtUp();
  } else if (command.command === "stats") {
    const cpu = process.cpuUsage();
    const presenceSizes = clients.map((client) => client.presence.users.length);
    if (!presenceSizes.length) presenceSizes.push(0);
    emit("stats", {
      ...counts,
      clients: clients.length,
      connected: clients.filter((client) => client.connectionId).length,
      presenceMin: Math.min(...presenceSizes),
      presenceMax: Math.max(...presenceSizes),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      lastSyncs: clients.map((client) => client.lastSync),
    });
  }
});

const Client = config.backend === "webpubsub" ? WebPubSubPageClient : SignalRClient;
for (let first = 0; first < config.users.length; first += config.connectAtOnce) {
  const batch = config.users.slice(first, first + config.connectAtOnce).map((user) => new Client(user));
  clients.push(...batch);
  await Promise.all(batch.map((client) => client.start()));
}
emit("ready", { clients: clients.length });
