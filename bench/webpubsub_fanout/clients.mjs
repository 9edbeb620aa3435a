// The receiving clients of the Web PubSub fan-out benchmark: N official @azure/web-pubsub-client
// clients in one Node process on the json.webpubsub.azure.v1 subprotocol, each in the group
// their URL's token names; each group message counted by ../fanout/receiver.mjs (its data is
// docchat's {event, data}, data the send time in ms or null).
//
// Configuration (BENCH_CLIENTS): {url, clients}.

import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";
import { config as readConfig, receive } from "../fanout/receiver.mjs";

const config = readConfig();

await receive(async (onMessage) => {
  const clients = Array.from({ length: config.clients }, () => {
    const client = new WebPubSubClient(config.url, {
      protocol: WebPubSubJsonProtocol(),
      autoReconnect: false,
      autoRejoinGroups: false,
    });
    client.on("group-message", (e) => onMessage(e.message.data?.data));
    return client;
  });
  await Promise.all(clients.map((client) => client.start()));
  return clients.length;
});
