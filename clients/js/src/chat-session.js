// One open document for one user: its messages, its group membership on the current
// connection, paging back through history, fetching what a live push showed is missing,
// sending one message at a time, in the order typed, with retry, changing messages (edit,
// delete, react), threads (the list, open or resolved; a thread's replies, replying,
// resolving), how far the user has read, and who is here and typing. Everything it reaches
// out through comes in through its constructor (the API, the clock), so tests pass their own.

import { ApiError } from './api.js';
import { backoffDelay, sleep } from './backoff.js';
import { MessageStore, STATUS } from './message-store.js';
import { PresenceState } from './presence.js';
import { ReadMarker } from './read-marker.js';
import { THREAD_FILTER, ThreadList } from './threads.js';

/** @typedef {import('./api.js').Api} Api */
/** @typedef {import('./api.js').MessagePage} MessagePage */
/** @typedef {import('./api.js').User} User */
/** @typedef {import('./message-store.js').ServerMessage} ServerMessage */
/** @typedef {import('./message-store.js').ReactionsChange} ReactionsChange */
/** @typedef {import('./threads.js').ThreadFilter} ThreadFilter */

export const THREAD_STATE = Object.freeze({
  LOADING: 'loading',
  LOADED: 'loaded',
  FAILED: 'failed',
});

/** @typedef {(typeof THREAD_STATE)[keyof typeof THREAD_STATE]} ThreadState */

/**
 * Whether the store's copy is the server's (ours not yet confirmed has no cursor).
 * @param {import('./message-store.js').ShownMessage | undefined} message
 * @returns {message is ServerMessage & import('./message-store.js').ShownMessage}
 */
const isServerCopy = (message) => message?.cursor !== undefined;

/**
 * How the session tells and waits for time.
 * @typedef {object} Clock
 * @property {() => number} now  milliseconds, as Date.now()
 * @property {(ms: number) => Promise<void>} sleep
 * @property {(ms: number, callback: () => void) => () => void} every  calls back every `ms`
 *   until the function it returns is called
 */

/** @type {Clock} */
export const REAL_CLOCK = Object.freeze({
  now: () => Date.now(),
  sleep,
  every(ms, callback) {
    const timer = setInterval(callback, ms);
    return () => clearInterval(timer);
  },
});

export const SYNC_STATE = Object.freeze({
  LOADING: 'loading',
  LIVE: 'live',
  OFFLINE: 'offline',
});

/** @typedef {(typeof SYNC_STATE)[keyof typeof SYNC_STATE]} SyncState */

function newMessageId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; the page may be opened over plain http on a LAN.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// A send that failed for a reason that may pass is tried again this often before it shows as failed.
const SEND_RETRIES = 4;

// Worth retrying: network trouble, server trouble, throttling. A 4xx answer stays the same.
/** @param {Error} error */
function isTransient(error) {
  const status = error instanceof ApiError ? error.status : 0;
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

// The service's `connected` event for a new connection is on its way: the server answers at
// once rather than hold a worker waiting for it, so the join is tried again soon.
export const NOT_YET_KNOWN = 'connection_not_yet_known';
export const NOT_YET_KNOWN_RETRY_MS = [200, 400, 800];
// The `connected` event usually arrives within milliseconds. If the app failed to handle it
// (its store timed out under load), it never learns whose the connection is and every join
// stays not-yet-known: after this long the client connects again, which brings a new event.
const NOT_YET_KNOWN_GIVE_UP_MS = 3000;

/**
 * @param {Error} error
 * @param {number} waited  milliseconds since the sync began
 */
function isStuck(error, waited) {
  return error instanceof ApiError && error.code === NOT_YET_KNOWN && waited > NOT_YET_KNOWN_GIVE_UP_MS;
}

/**
 * How long a failed sync waits before trying again: soon for a connection not yet known,
 * on the back-off of backoff.js for anything else.
 * @param {string | null | undefined} code  the error's stable code, if the API gave one
 * @param {number} attempt  1 for the first retry
 */
export function syncRetryDelay(code, attempt) {
  if (code === NOT_YET_KNOWN) {
    const base = NOT_YET_KNOWN_RETRY_MS[Math.min(attempt, NOT_YET_KNOWN_RETRY_MS.length) - 1];
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
  return backoffDelay(attempt);
}

// A join announces the document's presence to its group, the joining connection included
// (chat/app/presence.py): that event tells a joined page who is here, at no cost that grows
// with the room. Should none come within this long (its send failed, or a retried join only
// refreshed the entry), the page asks.
export const PRESENCE_ANNOUNCED_WITHIN_MS = 3000;

// docchat keeps a presence entry 15 minutes after its last join: most disconnects are
// reported by the service, but not all (a service restart reports none). While live, the
// session joins again this often, which refreshes its entry and announces nothing.
export const PRESENCE_REFRESH_MS = 5 * 60 * 1000;

/**
 * The items of each page of a paged read, first page first: `fetch(token)` asks for the page
 * after `token` (null: the first). Ends after the last page, or after an empty one (an empty
 * page cannot move the token on: asking again would only loop).
 * @param {(token: string | null) => Promise<MessagePage>} fetch
 * @returns {AsyncGenerator<unknown[]>}
 */
async function* pagesOf(fetch) {
  /** @type {string | null} */
  let token = null;
  do {
    const page = await fetch(token);
    const items = page.items ?? [];
    yield items;
    token = items.length > 0 ? (page.continuationToken ?? null) : null;
  } while (token);
}

export class ChatSession {
  store = new MessageStore();
  threadList = new ThreadList();
  // How loading each thread opened went. A thread once loaded stays whole: the stream brings
  // every reply and change after it, as it does for the timeline.
  /** @type {Map<string, ThreadState>} */
  #threads = new Map();
  #api;
  #user;
  #onChange;
  #onNotice;
  #clock;
  #closed = false;
  // Bumped by every sync/detach, so a superseded sync stops instead of racing the new one.
  #generation = 0;
  /** @type {SyncState} */
  #syncState = SYNC_STATE.OFFLINE;
  /** @type {string | null} */
  #olderToken = null;
  #loadingOlder = false;
  // The generation whose gap fill is running, so only one runs per connection.
  /** @type {number | null} */
  #fillingFor = null;
  // Ids of our messages waiting to be sent, oldest first; one is sent at a time.
  /** @type {string[]} */
  #outbox = [];
  #sending = false;
  // Stops the timer that keeps this connection's presence entry fresh while live.
  /** @type {(() => void) | null} */
  #stopPresenceRefresh = null;

  #onUnknownConnection;

  /**
   * @param {object} options
   * @param {string} options.documentId
   * @param {Api} options.api
   * @param {User} options.user  who is using the app
   * @param {() => void} options.onChange  hears every change to what the session shows
   * @param {(notice: string | null) => void} options.onNotice  a problem to show, or null once it passed
   * @param {(connectionId: string | null) => void} [options.onUnknownConnection]  the app never learned
   *   whose `connectionId` is: a new connection is needed
   * @param {Clock} [options.clock]
   */
  constructor({ documentId, api, user, onChange, onNotice, onUnknownConnection = () => {}, clock = REAL_CLOCK }) {
    this.documentId = documentId;
    this.#api = api;
    this.#user = user;
    this.#onChange = onChange;
    this.#onNotice = onNotice;
    this.#onUnknownConnection = onUnknownConnection;
    this.#clock = clock;
    this.store.subscribe(onChange);
    this.presence = new PresenceState(onChange);
    this.read = new ReadMarker({ report: (seq) => api.markRead(documentId, seq), onChange });
  }

  get syncState() {
    return this.#syncState;
  }

  get hasOlder() {
    return this.#olderToken !== null;
  }

  get loadingOlder() {
    return this.#loadingOlder;
  }

  /**
   * Brings the document up to date: joins its group on `connectionId` (when given), then
   * loads the newest page the first time or catches up on everything after the last
   * contiguous message. Who is here (presence events may have been missed while not joined)
   * comes with the join's announcement, or is loaded without a connection. Retries until it
   * succeeds or a newer sync/detach supersedes it.
   * @param {string | null} connectionId  null while there is no live connection
   */
  async sync(connectionId) {
    const generation = ++this.#generation;
    const current = () => !this.#closed && generation === this.#generation;
    this.#setSyncState(SYNC_STATE.LOADING);
    let delay = 0;
    const began = this.#clock.now();
    const announcements = this.presence.heard;
    for (let attempt = 0; current(); attempt += 1) {
      await this.#clock.sleep(delay);
      if (!current()) return;
      try {
        if (connectionId) await this.#api.join(this.documentId, connectionId);
        if (this.#closed && connectionId) {
          // Closed while the join was on its way: close()'s leave may have overtaken it.
          await this.#api.leave(this.documentId, connectionId).catch(() => {});
          return;
        }
        // Before the messages show, so the page never reports one read before the divider is placed.
        if (!this.read.loaded) this.read.opened((await this.#api.readStatus(this.documentId)).seq);
        await this.#catchUp();
        if (!connectionId) await this.#loadPresence();
      } catch (error) {
        if (!current()) return;
        if (isStuck(error, this.#clock.now() - began)) {
          this.#onUnknownConnection(connectionId);
          return;
        }
        if (isTransient(error)) {
          this.#onNotice(`Couldn't update this document: ${error.message}. Retrying…`);
          delay = syncRetryDelay(error instanceof ApiError ? error.code : null, attempt + 1);
          continue;
        }
        this.#onNotice(`Couldn't open this document: ${error.message}`);
        this.#setSyncState(SYNC_STATE.OFFLINE);
        return;
      }
      if (!current()) return;
      this.#onNotice(null);
      this.#setSyncState(connectionId ? SYNC_STATE.LIVE : SYNC_STATE.OFFLINE);
      if (connectionId) {
        this.#keepPresent(connectionId);
        void this.#awaitAnnouncement(announcements, current);
      }
      // Live pushes that came during the catch-up may have left a gap behind them.
      this.#fillGaps();
      return;
    }
  }

  /** The connection is gone, and with it the group membership. */
  detach() {
    this.#generation += 1;
    this.#setSyncState(SYNC_STATE.OFFLINE);
  }

  /**
   * A `newMessage` event.
   * @param {ServerMessage} message
   */
  receive(message) {
    if (message?.documentId !== this.documentId) return;
    // What they were typing has arrived.
    this.presence.stoppedTyping(message.senderId);
    this.receiveChange(message);
  }

  /**
   * A `messageUpdated` or `messageDeleted` event: the message as it is now.
   * @param {ServerMessage} message
   */
  receiveChange(message) {
    if (message?.documentId !== this.documentId) return;
    this.store.addFromServer([message]);
    this.#fillGaps();
  }

  /**
   * A `reactionsChanged` event: a message's reactions alone, as they are now.
   * @param {ReactionsChange} change
   */
  receiveReactions(change) {
    if (change?.documentId !== this.documentId) return;
    this.store.addReactions(change);
    this.#fillGaps();
  }

  /**
   * A `presence` event: who has the document open now.
   * @param {{documentId: string, users?: User[]}} event
   */
  receivePresence(event) {
    if (event?.documentId === this.documentId) this.presence.update(event.users ?? []);
  }

  /**
   * A `typing` event: someone else in the document is typing. The server excludes the
   * typist's own connections, except with the SignalR output binding, which cannot: so our
   * own user's typing is dropped here.
   * @param {{documentId: string, user?: User}} event
   */
  receiveTyping(event) {
    if (event?.documentId !== this.documentId || !event.user) return;
    if (event.user.id === this.#user.id) return;
    this.presence.typed(event.user);
  }

  async loadOlder() {
    if (this.#olderToken === null || this.#loadingOlder) return;
    this.#loadingOlder = true;
    this.#onChange();
    try {
      const page = await this.#api.history(this.documentId, this.#olderToken);
      if (this.#closed) return;
      this.store.addOlder(page.items ?? []);
      this.#olderToken = page.continuationToken ?? null;
    } catch (error) {
      this.#onNotice(`Couldn't load older messages: ${error.message}`);
    } finally {
      this.#loadingOlder = false;
      this.#onChange();
    }
  }

  /**
   * @param {string} text
   * @param {string[]} [mentions]  the ids of the users it mentions
   */
  send(text, mentions = []) {
    this.#post(text, mentions);
  }

  /**
   * Replies in the thread of `rootId`.
   * @param {string} rootId
   * @param {string} text
   * @param {string[]} [mentions]  the ids of the users it mentions
   */
  reply(rootId, text, mentions = []) {
    this.#post(text, mentions, rootId);
  }

  /**
   * Resolves the thread of `rootId` (`resolved`) or reopens it.
   * @param {string} rootId
   * @param {boolean} resolved
   */
  resolve(rootId, resolved) {
    const what = resolved ? 'resolve the thread' : 'reopen the thread';
    return this.#change(what, () => this.#api.setResolved(this.documentId, rootId, resolved));
  }

  /** The threads the list shows now, latest activity first. */
  get threads() {
    return this.threadList.shown(this.store.roots);
  }

  /**
   * Lists the open or resolved threads afresh, from their first page.
   * @param {ThreadFilter} filter
   */
  loadThreads(filter) {
    this.threadList.start(filter);
    return this.#loadThreadPage();
  }

  /** The thread list's next page, if there is one and none is on its way. */
  loadMoreThreads() {
    if (!this.threadList.hasMore || this.threadList.loading) return Promise.resolve();
    return this.#loadThreadPage();
  }

  /**
   * How loading the thread of `rootId` went; undefined while it was never opened.
   * @param {string} rootId
   * @returns {ThreadState | undefined}
   */
  threadState(rootId) {
    return this.#threads.get(rootId);
  }

  /**
   * Loads the thread of `rootId`, all its pages, unless it is loaded or on its way.
   * @param {string} rootId
   */
  async openThread(rootId) {
    const state = this.#threads.get(rootId);
    if (state === THREAD_STATE.LOADING || state === THREAD_STATE.LOADED) return;
    this.#setThreadState(rootId, THREAD_STATE.LOADING);
    try {
      for await (const items of pagesOf((token) => this.#api.thread(this.documentId, rootId, token))) {
        if (this.#closed) return;
        this.store.addThread(items);
      }
    } catch (error) {
      if (this.#closed) return;
      this.#onNotice(`Couldn't load the thread: ${error.message}`);
      this.#setThreadState(rootId, THREAD_STATE.FAILED);
      return;
    }
    this.#setThreadState(rootId, THREAD_STATE.LOADED);
  }

  /**
   * Sends a failed message again with the same id, so the server stores it at most once.
   * @param {string} id
   */
  retry(id) {
    this.store.setStatus(id, STATUS.PENDING);
    this.#enqueue(id);
  }

  /**
   * @param {string} id
   * @param {string} text
   */
  edit(id, text) {
    return this.#change('edit the message', () => this.#api.editMessage(this.documentId, id, text));
  }

  /** @param {string} id */
  remove(id) {
    return this.#change('delete the message', () => this.#api.deleteMessage(this.documentId, id));
  }

  /**
   * Adds the user's `emoji` reaction (`on`) or takes it back.
   * @param {string} id
   * @param {string} emoji
   * @param {boolean} on
   */
  react(id, emoji, on) {
    const change = on ? this.#api.addReaction : this.#api.removeReaction;
    return this.#change('change the reaction', () => change(this.documentId, id, emoji));
  }

  /**
   * @param {string} text
   * @param {string[]} mentions
   * @param {string} [threadId]  the root of the thread it replies in
   */
  #post(text, mentions, threadId) {
    const id = newMessageId();
    this.store.addPending({
      id,
      documentId: this.documentId,
      senderId: this.#user.id,
      senderName: this.#user.name,
      text,
      mentions,
      createdAt: new Date().toISOString(),
      ...(threadId === undefined ? {} : { threadId }),
    });
    this.#enqueue(id);
  }

  /**
   * @param {string} rootId
   * @param {ThreadState} state
   */
  #setThreadState(rootId, state) {
    this.#threads.set(rootId, state);
    this.#onChange();
  }

  /** One page of the thread list: the first, or the next after its token. */
  async #loadThreadPage() {
    const list = this.threadList;
    const { generation } = list;
    list.loading = true;
    list.failed = false;
    this.#onChange();
    try {
      const resolved = list.filter === THREAD_FILTER.RESOLVED;
      /** @type {MessagePage} */
      const page = await this.#api.threads(this.documentId, resolved, list.token);
      if (this.#closed || generation !== list.generation) return;
      const items = page.items ?? [];
      this.store.addThread(items);
      // The store's copies: checked, and the latest of each.
      const roots = items.map((item) => this.store.get(/** @type {{id?: string}} */ (item)?.id ?? ''));
      list.addPage(roots.filter(isServerCopy), page.continuationToken ?? null);
    } catch (error) {
      if (this.#closed || generation !== list.generation) return;
      list.failed = true;
      this.#onNotice(`Couldn't load the threads: ${error.message}`);
    } finally {
      if (generation === list.generation) {
        list.loading = false;
        this.#onChange();
      }
    }
  }

  /** @param {string | null | undefined} connectionId  the connection to leave the group on */
  async close(connectionId) {
    this.#closed = true;
    this.#stopRefreshing();
    this.presence.clear();
    this.read.close();
    if (!connectionId) return;
    try {
      await this.#api.leave(this.documentId, connectionId);
    } catch {
      // Best effort: the membership ends with the connection anyway.
    }
  }

  // The answer is the message as it is now; a change the server kept but could not broadcast
  // is fetched at once by a catch-up (a change moves its message on in the stream, so the
  // catch-up lists it).
  /**
   * @param {string} what  the change, as the notice says it
   * @param {() => Promise<unknown>} request
   */
  async #change(what, request) {
    try {
      this.store.addFromServer([await request()]);
    } catch (error) {
      if (this.#closed) return;
      this.#onNotice(`Couldn't ${what}: ${error.message}`);
      if (error instanceof ApiError && error.stored === true) await this.#catchUpNow();
    }
  }

  /** One catch-up while live (a sync under way catches up anyway); a failure waits for the next. */
  async #catchUpNow() {
    if (this.#closed || this.#syncState !== SYNC_STATE.LIVE) return;
    try {
      await this.#catchUp();
    } catch {
      // The next sync, or a gap fill, catches up.
    }
  }

  /** @param {string} id */
  #enqueue(id) {
    this.#outbox.push(id);
    if (!this.#sending) this.#sendQueued();
  }

  // One send at a time, so the server numbers our messages in the order they were typed.
  async #sendQueued() {
    this.#sending = true;
    while (this.#outbox.length > 0 && !this.#closed) {
      await this.#deliver(/** @type {string} */ (this.#outbox.shift()));
    }
    this.#sending = false;
  }

  // Tries again by itself while the failure may pass: the same id never makes a copy, so
  // this is safe whether the server stored the message (`stored: null`, unknown) or not.
  /** @param {string} id  one of ours that the store shows */
  async #deliver(id) {
    // Ours always have text: only a deleted message has none.
    const { text, threadId, mentions } = /** @type {{text: string, threadId?: string | null, mentions?: string[]}} */ (
      this.store.get(id)
    );
    const message = { id, text, mentions, ...(threadId == null ? {} : { replyTo: threadId }) };
    for (let attempt = 0; ; attempt += 1) {
      try {
        this.store.addFromServer([await this.#api.sendMessage(this.documentId, message)]);
        return;
      } catch (error) {
        if (error instanceof ApiError && error.stored === true) {
          this.store.setStatus(id, STATUS.STORED, error.message);
          this.#fillGaps();
          return;
        }
        if (!isTransient(error) || attempt >= SEND_RETRIES || this.#closed) {
          this.store.setStatus(id, STATUS.FAILED, error.message);
          return;
        }
      }
      await this.#clock.sleep(backoffDelay(attempt + 1));
    }
  }

  /**
   * Catches up while the store lacks messages the server has (a gap under a held push, or
   * our stored-but-not-broadcast ones), backing off while that lasts. Runs once per
   * connection and only while live: a sync in progress catches up and then calls this.
   */
  async #fillGaps() {
    const generation = this.#generation;
    if (this.#fillingFor === generation || this.#syncState !== SYNC_STATE.LIVE) return;
    this.#fillingFor = generation;
    const current = () => !this.#closed && generation === this.#generation;
    try {
      for (let attempt = 0; current() && this.store.incomplete; attempt += 1) {
        await this.#clock.sleep(backoffDelay(attempt));
        if (!current()) return;
        try {
          await this.#catchUp();
        } catch {
          // The next round tries again; a lost connection brings a new sync anyway.
        }
      }
    } finally {
      if (this.#fillingFor === generation) this.#fillingFor = null;
    }
  }

  async #loadNewest() {
    const page = await this.#api.history(this.documentId);
    this.store.startFrom(page.items ?? []);
    this.#olderToken = page.continuationToken ?? null;
  }

  /** Everything after the last contiguous message (all of it if the document was empty). */
  async #catchUp() {
    if (!this.store.started) {
      await this.#loadNewest();
      return;
    }
    // What waits now behind a gap the whole catch-up does not fill waits for a message
    // that is gone (expired): the store stops waiting once the catch-up is complete.
    const heldUpTo = this.store.newestHeldSeq;
    const cursor = this.store.catchUpCursor;
    if (cursor === null) {
      await this.#loadAll();
    } else {
      const after = (/** @type {string | null} */ token) => this.#api.messagesAfter(this.documentId, token ?? cursor);
      for await (const items of pagesOf(after)) this.store.addCaughtUp(items);
    }
    this.store.noneMissingUpTo(heldUpTo);
  }

  // There is no cursor before the first message: page back through all of history instead,
  // and add it only once it is all there (only then is the stream whole up to its latest).
  async #loadAll() {
    /** @type {unknown[]} */
    const all = [];
    for await (const items of pagesOf((token) => this.#api.history(this.documentId, token))) all.push(...items);
    this.store.addCaughtUp(all);
  }

  async #loadPresence() {
    await this.presence.load(async () => (await this.#api.presence(this.documentId)).users ?? []);
  }

  /**
   * Loads who is here unless a presence event comes soon after the join.
   * @param {number} heardBefore  the presence events heard when the sync began
   * @param {() => boolean} current  whether the sync is still the session's latest
   */
  async #awaitAnnouncement(heardBefore, current) {
    await this.#clock.sleep(PRESENCE_ANNOUNCED_WITHIN_MS);
    if (!current() || this.presence.heard > heardBefore) return;
    // Best effort: the next presence event brings the list too.
    await this.#loadPresence().catch(() => {});
  }

  /** @param {string} connectionId */
  #keepPresent(connectionId) {
    this.#stopRefreshing();
    this.#stopPresenceRefresh = this.#clock.every(PRESENCE_REFRESH_MS, () => {
      // Best effort: a failed refresh is tried again next time, well before the entry expires.
      this.#api.join(this.documentId, connectionId).catch(() => {});
    });
  }

  #stopRefreshing() {
    this.#stopPresenceRefresh?.();
    this.#stopPresenceRefresh = null;
  }

  /** @param {SyncState} state */
  #setSyncState(state) {
    if (state !== SYNC_STATE.LIVE) this.#stopRefreshing();
    if (state === this.#syncState) return;
    this.#syncState = state;
    this.#onChange();
  }
}
