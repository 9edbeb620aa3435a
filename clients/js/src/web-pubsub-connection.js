// The Azure Web PubSub connection to hub "documents", with LiveConnection's interface (state,
// connectionId, start, send, stop, onConnected, handlers by event name) and its reconnect
// policy: the official @azure/web-pubsub-client (the page's is bundled for browsers by
// scripts/build-web.mjs and served at /vendor/web-pubsub-client.js) negotiates through the
// app for every new connection, since a client access URL holds a token that expires.
//
// The client's own reconnecting is off and the plain JSON subprotocol is used: a dropped
// connection becomes a new one with a new connection id, reported through onConnected, so
// the page re-joins and catches up exactly as it does after SignalR reconnects. Every server
// event arrives as a JSON message {event, data} (a group or a server message alike).

import { reconnectDelay, sleep } from './backoff.js';
import { CONNECTION_STATE } from './live-connection.js';

/** @typedef {import('./live-connection.js').ConnectionOptions} ConnectionOptions */
/** @typedef {import('./live-connection.js').ConnectionState} ConnectionState */
/** @typedef {import('./libraries.js').WebPubSubClientLike} WebPubSubClient */
/** @typedef {import('./live-connection.js').WebPubSubModule} WebPubSubModule */

// A negotiate that has not answered by then has failed: the loop tries again.
const NEGOTIATE_TIMEOUT_MS = 15000;

/**
 * Whether a negotiate answer is Web PubSub's: a client access URL alone (SignalR's also
 * has an accessToken).
 * @param {any} negotiated  the answer's JSON
 */
export function isWebPubSubNegotiation(negotiated) {
  return typeof negotiated?.url === 'string' && !('accessToken' in negotiated);
}

/**
 * POSTs to `${url}/negotiate` with `headers`; the answer's JSON, or an error.
 * @param {string} url
 * @param {Record<string, string>} headers
 * @param {typeof fetch} [send]  the fetch to use
 * @returns {Promise<any>}
 */
export async function negotiate(url, headers, send = fetch) {
  const signal = AbortSignal.timeout(NEGOTIATE_TIMEOUT_MS);
  const response = await send(`${url}/negotiate`, { method: 'POST', headers, signal });
  if (!response.ok) throw new Error(`negotiate answered ${response.status}`);
  return response.json();
}

export class WebPubSubConnection {
  #url;
  #headers;
  #handlers;
  /** @type {WebPubSubClient | null} */
  #client = null;
  /** @type {string | null} */
  #connectionId = null;
  #running = false;
  /** @type {ConnectionState} */
  #state = CONNECTION_STATE.CONNECTING;
  #stopped = false;
  #onStateChange;
  #onConnected;
  #fetch;
  #library;

  /**
   * @param {ConnectionOptions} options
   * @param {WebPubSubModule} library  the client library
   */
  constructor({ url, headers, handlers, onStateChange, onConnected, fetch: send = fetch }, library) {
    this.#fetch = send;
    this.#library = library;
    this.#url = url;
    this.#headers = headers;
    this.#handlers = handlers;
    this.#onStateChange = onStateChange;
    this.#onConnected = onConnected;
  }

  get state() {
    return this.#state;
  }

  /** The current connection id, or null while not connected. */
  get connectionId() {
    return this.#state === CONNECTION_STATE.CONNECTED ? this.#connectionId : null;
  }

  start() {
    this.#startLoop(CONNECTION_STATE.OFFLINE);
  }

  /**
   * Sends a client event if connected, and says whether it did: `send('typing', documentId)`
   * is the user event typing with {documentId} as its JSON data. Best effort, as
   * LiveConnection's: nothing waits for a connection, and a send the connection loses is lost.
   * @param {string} event
   * @param {string} documentId
   */
  send(event, documentId) {
    if (this.#state !== CONNECTION_STATE.CONNECTED) return false;
    this.#client
      ?.sendEvent(event, { documentId }, 'json', { fireAndForget: true })
      .catch(() => {
        // The connection went meanwhile; the disconnected event already tells the page.
      });
    return true;
  }

  async stop() {
    this.#stopped = true;
    const client = this.#client;
    if (!client || !this.#running) return;
    const stopped = new Promise((resolve) => client.on('stopped', resolve));
    client.stop();
    await stopped;
  }

  // Starts the client until it connects, waiting between attempts as LiveConnection does;
  // a failed attempt shows `failedState` (offline at first, reconnecting after a drop).
  /** @param {ConnectionState} failedState */
  async #startLoop(failedState) {
    const began = Date.now();
    for (let attempt = 0; !this.#stopped; attempt += 1) {
      await sleep(reconnectDelay(attempt, Date.now() - began));
      if (this.#stopped) return;
      try {
        const client = this.#client ?? this.#createClient();
        await client.start();
      } catch {
        this.#setState(failedState);
        continue;
      }
      this.#running = true;
      if (this.#stopped) {
        this.#client?.stop();
      }
      return;
    }
  }

  #createClient() {
    const { WebPubSubClient, WebPubSubJsonProtocol } = this.#library;
    const client = new WebPubSubClient(
      { getClientAccessUrl: async () => (await negotiate(this.#url, this.#headers, this.#fetch)).url },
      { protocol: WebPubSubJsonProtocol(), autoReconnect: false, autoRejoinGroups: false },
    );
    client.on('connected', (/** @type {{connectionId: string}} */ { connectionId }) => {
      if (this.#stopped) return;
      this.#connectionId = connectionId;
      this.#setState(CONNECTION_STATE.CONNECTED);
      this.#onConnected(connectionId);
    });
    /** @param {{message: {data: unknown}}} event */
    const dispatch = ({ message }) => this.#dispatch(message.data);
    client.on('group-message', dispatch);
    client.on('server-message', dispatch);
    client.on('disconnected', () => {
      if (!this.#stopped) this.#setState(CONNECTION_STATE.RECONNECTING);
    });
    client.on('stopped', () => {
      this.#running = false;
      if (!this.#stopped) this.#startLoop(CONNECTION_STATE.RECONNECTING);
    });
    this.#client = client;
    return client;
  }

  /** @param {any} message  an event as the app sends it: {event, data} */
  #dispatch(message) {
    const handler = message && this.#handlers[message.event];
    if (handler) handler(message.data);
  }

  /** @param {ConnectionState} state */
  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.#onStateChange(state);
  }
}
