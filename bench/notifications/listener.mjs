// The mentioned user's client: one official @microsoft/signalr client signed in as the dev
// user config.user, connected through the dev host's negotiate, reporting each
// "notification" event it hears (user-targeted: it joins no document).
//
// Configuration: JSON in BENCH_NOTIFIED: {baseUrl, user}.
// stdout events (JSON lines): ready {connectionId}; notification {id, messageId, kind, at}
// with `at` this machine's wall clock in ms, as the sender's send times are.

import { performance } from "node:perf_hooks";
import * as signalR from "@microsoft/signalr";

const config = JSON.parse(process.env.BENCH_NOTIFIED);
const now = () => performance.timeOrigin + performance.now();
const emit = (event, fields = {}) => process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");

const response = await fetch(`${config.baseUrl}/api/negotiate`, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    "x-ms-client-principal-id": config.user,
    "x-ms-client-principal-name": config.user,
  },
  body: "{}",
});
if (!response.ok) throw new Error(`negotiate answered ${response.status}`);
const { url, accessToken } = await response.json();
const connection = new signalR.HubConnectionBuilder()
  .withUrl(url, { accessTokenFactory: () => accessToken, transport: signalR.HttpTransportType.WebSockets })
  .configureLogging(signalR.LogLevel.Error)
  .build();
connection.on("notification", (item) => {
  emit("notification", { id: item.id, messageId: item.messageId, kind: item.kind, at: now() });
});
await connection.start();
emit("ready", { connectionId: connection.connectionId });
