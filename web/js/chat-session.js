// One open document for one user: its messages, its group membership on the current
// connection, paging back through history, and sending with retry.

import { ApiError } from './api.js';
import { backoffDelay, sleep } from './backoff.js';
import { MessageStore, STATUS } from './message-store.js';

export const SYNC_STATE = Object.freeze({
  LOADING: 'loading',
  LIVE: 'live',
  OFFLINE: 'offline',
});

function newMessageId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; the page may be opened over plain http on a LAN.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Worth retrying: network trouble, server trouble, throttling. A 4xx answer stays the same.
function isTransient(error) {
  const status = error instanceof ApiError ? error.status : 0;
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

export class ChatSession {
  store = new MessageStore();
  #api;
  #user;
  #onChange;
  #onNotice;
  #closed = false;
  // Bumped by every sync/detach, so a superseded sync stops instead of racing the new one.
  #generation = 0;
  #syncState = SYNC_STATE.OFFLINE;
  #historyLoaded = false;
  #olderToken = null;
  #loadingOlder = false;

  constructor({ documentId, api, user, onChange, onNotice }) {
    this.documentId = documentId;
    this.#api = api;
    this.#user = user;
    this.#onChange = onChange;
    this.#onNotice = onNotice;
    this.store.subscribe(onChange);
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
   * loads the newest page the first time or catches up on everything after the newest
   * cursor seen. Retries until it succeeds or a newer sync/detach supersedes it.
   */
  async sync(connectionId) {
    const generation = ++this.#generation;
    const current = () => !this.#closed && generation === this.#generation;
    this.#setSyncState(SYNC_STATE.LOADING);
    for (let attempt = 0; current(); attempt += 1) {
      await sleep(backoffDelay(attempt));
      if (!current()) return;
      try {
        if (connectionId) await this.#api.join(this.documentId, connectionId);
        if (this.#historyLoaded) await this.#catchUp();
        else await this.#loadNewest();
      } catch (error) {
        if (!current()) return;
        if (isTransient(error)) {
          this.#onNotice(`Couldn't update this document: ${error.message}. Retrying…`);
          continue;
        }
        this.#onNotice(`Couldn't open this document: ${error.message}`);
        this.#setSyncState(SYNC_STATE.OFFLINE);
        return;
      }
      if (!current()) return;
      this.#onNotice(null);
      this.#setSyncState(connectionId ? SYNC_STATE.LIVE : SYNC_STATE.OFFLINE);
      return;
    }
  }

  /** The connection is gone, and with it the group membership. */
  detach() {
    this.#generation += 1;
    this.#setSyncState(SYNC_STATE.OFFLINE);
  }

  receive(message) {
    if (message?.documentId === this.documentId) this.store.addFromServer([message]);
  }

  async loadOlder() {
    if (this.#olderToken === null || this.#loadingOlder) return;
    this.#loadingOlder = true;
    this.#onChange();
    try {
      const page = await this.#api.history(this.documentId, this.#olderToken);
      if (this.#closed) return;
      this.store.addFromServer(page.items ?? []);
      this.#olderToken = page.continuationToken ?? null;
    } catch (error) {
      this.#onNotice(`Couldn't load older messages: ${error.message}`);
    } finally {
      this.#loadingOlder = false;
      this.#onChange();
    }
  }

  async send(text) {
    const id = newMessageId();
    this.store.addPending({
      id,
      documentId: this.documentId,
      senderId: this.#user.id,
      senderName: this.#user.name,
      text,
      createdAt: new Date().toISOString(),
      cursor: null,
    });
    await this.#deliver(id);
  }

  /** Sends a failed message again with the same id, so the server stores it at most once. */
  async retry(id) {
    this.store.setStatus(id, STATUS.PENDING);
    await this.#deliver(id);
  }

  async close(connectionId) {
    this.#closed = true;
    if (!connectionId) return;
    try {
      await this.#api.leave(this.documentId, connectionId);
    } catch {
      // Best effort: the membership ends with the connection anyway.
    }
  }

  async #deliver(id) {
    const { text } = this.store.get(id);
    try {
      this.store.addFromServer([await this.#api.sendMessage(this.documentId, { id, text })]);
    } catch (error) {
      const stored = error instanceof ApiError && error.messageWasStored;
      this.store.setStatus(id, stored ? STATUS.STORED : STATUS.FAILED, error.message);
    }
  }

  async #loadNewest() {
    const hadServerMessages = this.store.newestCursor !== null;
    const page = await this.#api.history(this.documentId);
    this.store.addFromServer(page.items ?? []);
    if (!this.#historyLoaded || !hadServerMessages) {
      this.#olderToken = page.continuationToken ?? null;
    }
    this.#historyLoaded = true;
  }

  async #catchUp() {
    let cursor = this.store.newestCursor;
    if (cursor === null) {
      await this.#loadNewest();
      return;
    }
    for (;;) {
      const page = await this.#api.messagesAfter(this.documentId, cursor);
      this.store.addFromServer(page.items ?? []);
      const newest = this.store.newestCursor;
      if (!page.continuationToken || !page.items?.length || newest === cursor) return;
      cursor = newest;
    }
  }

  #setSyncState(state) {
    if (state === this.#syncState) return;
    this.#syncState = state;
    this.#onChange();
  }
}
