// The SignalR connection to hub "documents", kept alive for as long as the page wants it:
// automatic reconnect retries forever, and if the connection still closes, a restart loop
// starts it again. Every (re)connection has a new connection id, reported via onConnected
// so the caller can re-join its document and catch up. `handlers` receive the server's
// events by name (newMessage, presence, typing). The official @microsoft/signalr client
// comes in through the options: the page's browser build (window.signalR) or the npm package.

import { reconnectDelay, sleep } from './backoff.js';

/** @typedef {import('./libraries.js').SignalRModule} SignalRModule */
/** @typedef {import('./libraries.js').WebPubSubModule} WebPubSubModule */

export const CONNECTION_STATE = Object.freeze({
  CONNECTING: 'connecting',
  CONNECTED: 'connected',
  RECONNECTING: 'reconnecting',
  OFFLINE: 'offline',
});

/** @typedef {(typeof CONNECTION_STATE)[keyof typeof CONNECTION_STATE]} ConnectionState */

/**
 * The official client of each backend, or a function that loads it (the one the app's
 * negotiate answer names is loaded, on the first connection). Left out: imported by its npm
 * name, which a browser resolves through the page's import map.
 * @typedef {object} RealtimeLibraries
 * @property {SignalRModule | (() => Promise<SignalRModule>)} [signalR]  the SignalR client
 * @property {WebPubSubModule | (() => Promise<WebPubSubModule>)} [webPubSub]  the Web PubSub client
 */

/**
 * What a live connection is given: LiveConnection, WebPubSubConnection and RealtimeConnection
 * take the same.
 * @typedef {object} ConnectionOptions
 * @property {string} url  the API's root, where negotiate is
 * @property {RealtimeLibraries} [libraries]
 * @property {Record<string, string>} headers  sent with every negotiate
 * @property {typeof fetch} [fetch]  for docchat's negotiate (the global one by default; the
 *   SignalR client negotiates again with its own)
 * @property {Record<string, (data: any) => void>} handlers  the server's events by name, each
 *   given the event's data as it came (the chat session checks it)
 * @property {(state: ConnectionState) => void} onStateChange
 * @property {(connectionId: string) => void} onConnected  every new connection, by its id
 */

export class LiveConnection {
  #hub;
  /** @type {ConnectionState} */
  #state = CONNECTION_STATE.CONNECTING;
  #stopped = false;
  #onStateChange;
  #onConnected;

  /**
   * @param {ConnectionOptions} options
   * @param {SignalRModule} signalR  the client library
   */
  constructor({ url, headers, handlers, onStateChange, onConnected }, signalR) {
    const { HubConnectionBuilder, LogLevel } = signalR;
    this.#onStateChange = onStateChange;
    this.#onConnected = onConnected;
    this.#hub = new HubConnectionBuilder()
      // The negotiate request (and every renegotiation) carries the dev identity headers.
      .withUrl(url, { headers })
      .withAutomaticReconnect({
        nextRetryDelayInMilliseconds: ({ previousRetryCount, elapsedMilliseconds }) =>
          reconnectDelay(previousRetryCount, elapsedMilliseconds),
      })
      .configureLogging(LogLevel.Warning)
      .build();
    for (const [event, handler] of Object.entries(handlers)) this.#hub.on(event, handler);
    this.#hub.onreconnecting(() => this.#setState(CONNECTION_STATE.RECONNECTING));
    // Reconnected through negotiate, which gave the new connection its id (the client's types
    // leave it optional for connections that skip negotiate).
    this.#hub.onreconnected((connectionId) => this.#connected(/** @type {string} */ (connectionId)));
    this.#hub.onclose(() => {
      if (this.#stopped) return;
      this.#setState(CONNECTION_STATE.OFFLINE);
      this.#startLoop();
    });
  }

  get state() {
    return this.#state;
  }

  /** The current connection id, or null while not connected. */
  get connectionId() {
    return this.#state === CONNECTION_STATE.CONNECTED ? this.#hub.connectionId : null;
  }

  start() {
    this.#startLoop();
  }

  /**
   * Sends a client event to the server if connected, and says whether it did. Best effort:
   * nothing waits for a connection, and a send the connection loses is lost.
   * @param {string} method
   * @param {...unknown} args
   */
  send(method, ...args) {
    if (this.#state !== CONNECTION_STATE.CONNECTED) return false;
    this.#hub.send(method, ...args).catch(() => {
      // The connection went meanwhile; onreconnecting/onclose already tell the page.
    });
    return true;
  }

  async stop() {
    this.#stopped = true;
    await this.#hub.stop();
  }

  async #startLoop() {
    const began = Date.now();
    for (let attempt = 0; !this.#stopped; attempt += 1) {
      await sleep(reconnectDelay(attempt, Date.now() - began));
      if (this.#stopped) return;
      try {
        await this.#hub.start();
      } catch {
        this.#setState(CONNECTION_STATE.OFFLINE);
        continue;
      }
      if (this.#stopped) {
        await this.#hub.stop();
        return;
      }
      // Started, so it has its id (null only while not connected).
      this.#connected(/** @type {string} */ (this.#hub.connectionId));
      return;
    }
  }

  /** @param {string} connectionId */
  #connected(connectionId) {
    this.#setState(CONNECTION_STATE.CONNECTED);
    this.#onConnected(connectionId);
  }

  /** @param {ConnectionState} state */
  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.#onStateChange(state);
  }
}
