// Drives one official @microsoft/signalr client for the Python tests.
//
// Configuration: one JSON object in the SIGNALR_CLIENT environment variable:
//   url                 where to negotiate (a function-app style endpoint)
//   accessToken         optional: then url is the service's client URL and this its token,
//                       as after following a negotiate redirect
//   protocol            "json" (default) or "messagepack"
//   targets             method names to listen for
//   automaticReconnect  retry every 100 ms after a drop
//   statefulReconnect   opt in to stateful reconnect
// Output: one JSON object per line on stdout, each with an "event":
//   connected {connectionId}, message {target, arguments}, reconnecting {error},
//   reconnected {connectionId}, closed {error}, failed {error}, invoked {error}, stopped.
// Input: one JSON command per line on stdin: {"command": "invoke", "target", "arguments"}
//   or {"command": "stop"}.
// Client logs go to stderr, so stdout carries events only.

import * as readline from "node:readline";
import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

const config = JSON.parse(process.env.SIGNALR_CLIENT);
const RETRY_DELAY_MS = 100;

function emit(event, fields = {}) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");
}

function describe(error) {
  return error ? String(error.message ?? error) : null;
}

const stderrLogger = {
  log(level, message) {
    if (level >= signalR.LogLevel.Warning) {
      process.stderr.write(`[signalr ${signalR.LogLevel[level]}] ${message}\n`);
    }
  },
};

// With an accessToken, url is the service's client URL: where a negotiate redirect leads.
const accessToken = config.accessToken;
let builder = new signalR.HubConnectionBuilder()
  .withUrl(config.url, {
    transport: signalR.HttpTransportType.WebSockets,
    ...(accessToken ? { accessTokenFactory: () => accessToken } : {}),
  })
  .configureLogging(stderrLogger);
if (config.protocol === "messagepack") {
  builder = builder.withHubProtocol(new MessagePackHubProtocol());
}
if (config.automaticReconnect) {
  builder = builder.withAutomaticReconnect({ nextRetryDelayInMilliseconds: () => RETRY_DELAY_MS });
}
if (config.statefulReconnect) {
  builder = builder.withStatefulReconnect();
}
const connection = builder.build();

for (const target of config.targets ?? []) {
  connection.on(target, (...args) => emit("message", { target, arguments: args }));
}
connection.onreconnecting((error) => emit("reconnecting", { error: describe(error) }));
connection.onreconnected((connectionId) => emit("reconnected", { connectionId }));
connection.onclose((error) => emit("closed", { error: describe(error) }));

async function run(command) {
  if (command.command === "invoke") {
    try {
      await connection.invoke(command.target, ...(command.arguments ?? []));
      emit("invoked", { error: null });
    } catch (error) {
      emit("invoked", { error: describe(error) });
    }
  } else if (command.command === "stop") {
    await connection.stop();
    emit("stopped");
    process.exit(0);
  }
}

try {
  await connection.start();
  emit("connected", { connectionId: connection.connectionId });
} catch (error) {
  emit("failed", { error: describe(error) });
  process.exit(1);
}

readline.createInterface({ input: process.stdin }).on("line", (line) => run(JSON.parse(line)));
