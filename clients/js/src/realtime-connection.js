// The page's live connection on whichever backend the app runs: it asks negotiate once and
// builds a WebPubSubConnection when the answer is Web PubSub's (a client access URL alone),
// else a LiveConnection (SignalR, whose client negotiates again itself). Same interface and
// options as both; while negotiate fails it retries with the reconnect policy of backoff.js.
// The chosen backend's client library is loaded then, as the options say (RealtimeLibraries).

import { reconnectDelay, sleep } from './backoff.js';
import { CONNECTION_STATE, LiveConnection } from './live-connection.js';
import { isWebPubSubNegotiation, negotiate, WebPubSubConnection } from './web-pubsub-connection.js';

/** @typedef {import('./live-connection.js').ConnectionOptions} ConnectionOptions */
/** @typedef {import('./live-connection.js').ConnectionState} ConnectionState */
/** @typedef {import('./live-connection.js').RealtimeLibraries} RealtimeLibraries */
/** @typedef {import('./libraries.js').SignalRModule} SignalRModule */
/** @typedef {import('./libraries.js').WebPubSubModule} WebPubSubModule */

// The official clients by their npm names: a browser resolves them through its import map.
/** @type {() => Promise<SignalRModule>} */
const importSignalR = () => import('@microsoft/signalr');
/** @type {() => Promise<WebPubSubModule>} */
const importWebPubSub = () => import('@azure/web-pubsub-client');

/**
 * The library as given, or as its loader or its npm name brings it.
 * @template T
 * @param {T | (() => Promise<T>) | undefined} given
 * @param {() => Promise<T>} byName
 * @returns {Promise<T>}
 */
async function load(given, byName) {
  if (given === undefined) return byName();
  return typeof given === 'function' ? /** @type {() => Promise<T>} */ (given)() : given;
}

export class RealtimeConnection {
  #options;
  /** @type {LiveConnection | WebPubSubConnection | null} */
  #chosen = null;
  /** @type {ConnectionState} */
  #state = CONNECTION_STATE.CONNECTING;
  #stopped = false;

  /** @param {ConnectionOptions} options */
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

  /**
   * Sends a client event if connected, and says whether it did (see LiveConnection.send).
   * @param {string} event
   * @param {string} documentId
   */
  send(event, documentId) {
    return this.#chosen ? this.#chosen.send(event, documentId) : false;
  }

  async stop() {
    this.#stopped = true;
    await this.#chosen?.stop();
  }

  async #choose() {
    const { url, headers, onStateChange, fetch: send = fetch } = this.#options;
    const began = Date.now();
    for (let attempt = 0; !this.#stopped; attempt += 1) {
      await sleep(reconnectDelay(attempt, Date.now() - began));
      if (this.#stopped) return;
      let chosen;
      try {
        chosen = await this.#connectionFor(await negotiate(url, headers, send));
      } catch {
        this.#setState(CONNECTION_STATE.OFFLINE);
        continue;
      }
      if (this.#stopped) return;
      this.#chosen = chosen;
      if (chosen.state !== this.#state) onStateChange(chosen.state);
      chosen.start();
      return;
    }
  }

  /**
   * The connection for the backend of a negotiate answer, its library loaded.
   * @param {unknown} negotiated
   * @returns {Promise<LiveConnection | WebPubSubConnection>}
   */
  async #connectionFor(negotiated) {
    const { signalR, webPubSub } = this.#options.libraries ?? {};
    if (isWebPubSubNegotiation(negotiated)) {
      return new WebPubSubConnection(this.#options, await load(webPubSub, importWebPubSub));
    }
    return new LiveConnection(this.#options, await load(signalR, importSignalR));
  }

  /** @param {ConnectionState} state */
  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onStateChange(state);
  }
}
