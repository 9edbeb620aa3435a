// A signed-in user's docchat: the HTTP API, one live connection on whichever backend the app
// runs (negotiate picks it), and a ChatSession per open document that the connection's events
// reach. On every new connection each open document is joined again and caught up; while
// there is none they wait. The client is an EventTarget: what happens live comes out as
// events (a CustomEvent each, its `detail` the data), `on(type, listener)` being the typed way
// to listen to them.

import { createApi, HUB_URL } from './api.js';
import { ChatSession, PRESENCE_REFRESH_MS, REAL_CLOCK, SYNC_STATE } from './chat-session.js';
import { CONNECTION_STATE } from './live-connection.js';
import { RealtimeConnection } from './realtime-connection.js';
import { Watches } from './watches.js';

/** @typedef {import('./api.js').Api} Api */
/** @typedef {import('./api.js').User} User */
/** @typedef {import('./chat-session.js').Clock} Clock */
/** @typedef {import('./live-connection.js').ConnectionState} ConnectionState */
/** @typedef {import('./live-connection.js').RealtimeLibraries} RealtimeLibraries */
/** @typedef {import('./message-store.js').ServerMessage} ServerMessage */
/** @typedef {import('./message-store.js').ReactionsChange} ReactionsChange */
/** @typedef {import('./inbox.js').Notification} Notification */

/**
 * The client's events, by type, with what each one's `detail` is. The data is as the server
 * sent it; `message`, `messageChanged`, `thread` and `notification` carry what the client's
 * stores check again before they keep it.
 * @typedef {object} ClientEvents
 * @property {{state: ConnectionState}} state  the live connection's state changed
 * @property {{connectionId: string}} connected  a new connection (open documents re-join on it)
 * @property {ServerMessage} message  `newMessage`: a message or a reply was posted
 * @property {ServerMessage} messageChanged  `messageUpdated` or `messageDeleted` (a tombstone)
 * @property {ReactionsChange} reactions  `reactionsChanged`
 * @property {{documentId: string, users: User[]}} presence  who has the document open now
 * @property {{documentId: string, user: User}} typing  someone else in the document types
 * @property {{documentId: string, rootId: string, message: ServerMessage}} thread  a reply
 *   came (message: the reply) or a thread's root changed (message: the root; a resolution,
 *   a new reply count)
 * @property {Notification} notification  an inbox item for this user, from any document;
 *   the same one may come twice (keep them by id)
 */

/**
 * @typedef {object} ClientOptions
 * @property {User} user  who calls: shown on the user's messages before the server confirms
 *   them, and whose own typing is not reported
 * @property {string} [baseUrl]  the API's root, `/api` by default (the page's own origin)
 * @property {Record<string, string>} [headers]  sent with every request and negotiate: the
 *   caller's credentials (a bearer token, or the dev sign-in's headers)
 * @property {typeof fetch} [fetch]  for the HTTP API and negotiate; the global one by default
 * @property {RealtimeLibraries} [libraries]  the backends' official clients
 * @property {Clock} [clock]  how the sessions wait (tests pass their own)
 */

/**
 * What a document's session tells its owner, besides the client's events.
 * @typedef {object} OpenOptions
 * @property {() => void} [onChange]  hears every change to what the session holds
 * @property {(notice: string | null) => void} [onNotice]  a problem to show, or null once it passed
 */

/**
 * @param {ServerMessage} message
 * @returns {string | null} the thread `message` belongs to: a reply's root, or itself when a
 *   root that has a thread
 */
function threadOf(message) {
  if (typeof message?.threadId === 'string') return message.threadId;
  return message?.thread ? message.id : null;
}

export class DocchatClient extends EventTarget {
  /**
   * The HTTP API, as this user.
   * @type {Api}
   */
  api;
  #options;
  /** @type {RealtimeConnection | null} */
  #connection = null;
  /** @type {Map<string, ChatSession>} */
  #sessions = new Map();
  #watches;
  #clock;
  /** @type {() => void} */
  #stopRewatching = () => {};

  /** @param {ClientOptions} options */
  constructor(options) {
    super();
    this.#options = options;
    const { baseUrl = HUB_URL, headers = {}, fetch } = options;
    this.api = createApi({ baseUrl, headers: () => headers, fetch });
    this.#clock = options.clock ?? REAL_CLOCK;
    this.#watches = new Watches({
      api: this.api,
      clock: this.#clock,
      joined: (documentId) => this.#sessions.has(documentId),
    });
  }

  /** The user the client calls as. */
  get user() {
    return this.#options.user;
  }

  /** The live connection's state (`offline` before connect()). */
  get state() {
    return this.#connection?.state ?? CONNECTION_STATE.OFFLINE;
  }

  /** The live connection's id, or null while not connected. */
  get connectionId() {
    return this.#connection?.connectionId ?? null;
  }

  /**
   * Listens to one of the client's events; answers what stops listening.
   * @template {keyof ClientEvents} K
   * @param {K} type
   * @param {(detail: ClientEvents[K]) => void} listener
   * @returns {() => void}
   */
  on(type, listener) {
    /** @param {Event} event */
    const heard = (event) => listener(/** @type {CustomEvent<ClientEvents[K]>} */ (event).detail);
    this.addEventListener(type, heard);
    return () => this.removeEventListener(type, heard);
  }

  /**
   * Starts the live connection (kept up until stop(), reconnecting as it must); answers
   * the first connection's id once connected.
   * @returns {Promise<string>}
   */
  connect() {
    const connected = new Promise((resolve) => {
      const stop = this.on('connected', ({ connectionId }) => {
        stop();
        resolve(connectionId);
      });
    });
    this.#connection ??= this.#startConnection();
    if (this.connectionId) return Promise.resolve(this.connectionId);
    return /** @type {Promise<string>} */ (connected);
  }

  /** Drops the live connection for a new one; the open documents re-join on it. */
  reconnect() {
    const old = this.#connection;
    this.#connection = this.#startConnection();
    old?.stop();
  }

  /**
   * Opens `documentId`: a session that joins it on every connection and keeps its messages
   * gapless (ChatSession). A document opened again gets a new session. Its first sync starts
   * right after this returns, so the callbacks never run before the caller has the session.
   * @param {string} documentId
   * @param {OpenOptions} [options]
   */
  open(documentId, { onChange = () => {}, onNotice = () => {} } = {}) {
    this.#sessions.get(documentId)?.close(this.connectionId);
    /** @type {ChatSession} */
    const session = new ChatSession({
      documentId,
      api: this.api,
      user: this.user,
      onChange,
      onNotice,
      // The app never learned whose this connection is: a new one brings a new connected event.
      onUnknownConnection: (connectionId) => {
        if (this.#sessions.get(documentId) === session && this.connectionId === connectionId) this.reconnect();
      },
      clock: this.#clock,
    });
    this.#sessions.set(documentId, session);
    queueMicrotask(() => {
      if (this.#sessions.get(documentId) === session) session.sync(this.connectionId);
    });
    return session;
  }

  /**
   * Closes the document's session and leaves its group (best effort); a watched document
   * is then watched again.
   * @param {string} documentId
   */
  async close(documentId) {
    const session = this.#sessions.get(documentId);
    if (!session) return;
    this.#sessions.delete(documentId);
    const connectionId = this.connectionId;
    await session.close(connectionId);
    if (connectionId && connectionId === this.connectionId) await this.#watches.watch(documentId, connectionId);
  }

  /**
   * Hears the new messages of `documentIds` (as `message` events) without opening them: a
   * document list's unread counts, live. It replaces the documents watched before; an open
   * document is joined, not watched.
   * @param {Iterable<string>} documentIds
   */
  watch(documentIds) {
    this.#watches.set(documentIds, this.connectionId);
  }

  /**
   * Tells the others in the document that the user is typing (at most every 2 s counts; the
   * page sends every 2.5 s while typing); says whether it could (only while joined live).
   * @param {string} documentId
   */
  typing(documentId) {
    const session = this.#sessions.get(documentId);
    return session?.syncState === SYNC_STATE.LIVE && this.#connection !== null && this.#connection.send('typing', documentId);
  }

  /** Closes every session (the connection's end ends their membership) and the connection. */
  async stop() {
    this.#stopRewatching();
    for (const session of this.#sessions.values()) session.close(null);
    this.#sessions.clear();
    const connection = this.#connection;
    this.#connection = null;
    await connection?.stop();
  }

  #startConnection() {
    /** @type {RealtimeConnection} */
    const connection = new RealtimeConnection({
      url: this.#options.baseUrl ?? HUB_URL,
      headers: this.#options.headers ?? {},
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      libraries: this.#options.libraries,
      handlers: {
        newMessage: (message) => {
          this.#sessionOf(message)?.receive(message);
          this.#emit('message', message);
          this.#emitThread(message);
        },
        messageUpdated: (message) => this.#changed(message),
        messageDeleted: (message) => this.#changed(message),
        reactionsChanged: (change) => {
          this.#sessionOf(change)?.receiveReactions(change);
          this.#emit('reactions', change);
        },
        presence: (event) => {
          this.#sessionOf(event)?.receivePresence(event);
          this.#emit('presence', { documentId: event?.documentId, users: event?.users ?? [] });
        },
        typing: (event) => {
          this.#sessionOf(event)?.receiveTyping(event);
          if (event?.user?.id !== this.user.id) this.#emit('typing', event);
        },
        notification: (item) => this.#emit('notification', item),
      },
      onStateChange: (state) => {
        if (connection !== this.#connection) return;
        if (state !== CONNECTION_STATE.CONNECTED) for (const session of this.#sessions.values()) session.detach();
        this.#emit('state', { state });
      },
      // A new connection id every time: re-join the open documents and catch up.
      onConnected: (connectionId) => {
        if (connection !== this.#connection) return;
        for (const session of this.#sessions.values()) session.sync(connectionId);
        this.#watchOn(connectionId);
        this.#emit('connected', { connectionId });
      },
    });
    connection.start();
    return connection;
  }

  /** @param {string} connectionId */
  #watchOn(connectionId) {
    this.#stopRewatching();
    this.#watches.watchAll(connectionId);
    this.#stopRewatching = this.#clock.every(PRESENCE_REFRESH_MS, () => {
      if (this.connectionId === connectionId) this.#watches.watchAll(connectionId);
    });
  }

  /** @param {ServerMessage} message */
  #changed(message) {
    this.#sessionOf(message)?.receiveChange(message);
    this.#emit('messageChanged', message);
    this.#emitThread(message);
  }

  /** @param {ServerMessage} message */
  #emitThread(message) {
    const rootId = threadOf(message);
    if (rootId !== null) this.#emit('thread', { documentId: message.documentId, rootId, message });
  }

  /** @param {{documentId?: unknown} | null | undefined} event */
  #sessionOf(event) {
    return typeof event?.documentId === 'string' ? this.#sessions.get(event.documentId) : undefined;
  }

  /**
   * @template {keyof ClientEvents} K
   * @param {K} type
   * @param {ClientEvents[K]} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
