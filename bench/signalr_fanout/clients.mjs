// The receiving clients of the SignalR fan-out benchmark: N official @microsoft/signalr
// clients in one Node process, each delivery of "tick" counted by ../fanout/receiver.mjs.
//
// Configuration (BENCH_CLIENTS): {url, accessToken, clients, protocol}.

import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import { config as readConfig, receive } from "../fanout/receiver.mjs";

const config = readConfig();

function build(onMessage) {
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(config.url, {
      accessTokenFactory: () => config.accessToken,
      transport: signalR.HttpTransportType.WebSockets,
    })
    .configureLogging(signalR.LogLevel.Error);
  if (config.protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  connection.on("tick", onMessage);
  return connection;
}

await receive(async (onMessage) => {
  const connections = Array.from({ length: config.clients }, () => build(onMessage));
  await Promise.all(connections.map((connection) => connection.start()));
  return connections.length;
});
