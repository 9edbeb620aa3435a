// The page's live connection on whichever backend the app runs: it asks negotiate once and
// builds a WebPubSubConnection when the answer is Web PubSub's (a client access URL alone),
// else a LiveConnection (SignalR, whose client negotiates again itself). Same interface and
// options as both; while negotiate fails it retries with the reconnect policy of backoff.js.

import { reconnectDelay, sleep } from './backoff.js';
import { CONNECTION_STATE, LiveConnection } from './live-connection.js';
import { isWebPubSubNegotiation, negotiate, WebPubSubConnection } from './web-pubsub-connection.js';

export class RealtimeConnection {
  #options;
  #chosen = null;
  #state = CONNECTION_STATE.CONNECTING;
  #stopped = false;

  constructor(options) {
    this.#options = options;
  }

  get state() {
    return this.#chosen ? this.#chosen.state : this.#state;
  }

  get connectionId() {
    return this.#chosen ? this.#chosen.connectionId : null;
  }

  start() {
    this.#choose();
  }

  send(...args) {
    return this.#chosen ? this.#chosen.send(...args) : false;
  }

  async stop() {
    this.#stopped = true;
    await this.#chosen?.stop();
  }

  async #choose() {
    const { url, headers, onStateChange } = this.#options;
    const began = Date.now();
    for (let attempt = 0; !this.#stopped; attempt += 1) {
      await sleep(reconnectDelay(attempt, Date.now() - began));
      if (this.#stopped) return;
      let negotiated;
      try {
        negotiated = await negotiate(url, headers);
      } catch {
        this.#setState(CONNECTION_STATE.OFFLINE);
        continue;
      }
      if (this.#stopped) return;
      const Connection = isWebPubSubNegotiation(negotiated) ? WebPubSubConnection : LiveConnection;
      this.#chosen = new Connection(this.#options);
      if (this.#chosen.state !== this.#state) onStateChange(this.#chosen.state);
      this.#chosen.start();
      return;
    }
  }

  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onStateChange(state);
  }
}
