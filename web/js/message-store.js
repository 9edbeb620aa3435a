// One document's messages: each id once, ordered by (createdAt, id), whichever way they arrived
// (history page, catch-up, live push, or the reply to our own send).

export const STATUS = Object.freeze({
  SENT: 'sent',
  PENDING: 'pending',
  FAILED: 'failed',
  // Saved by the server but not broadcast; the server's copy arrives with the next catch-up.
  STORED: 'stored',
});

function compareMessages(a, b) {
  const byTime = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  if (byTime !== 0) return byTime;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

function isServerMessage(value) {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof value.id === 'string' &&
    typeof value.text === 'string' &&
    !Number.isNaN(Date.parse(value.createdAt))
  );
}

export class MessageStore {
  #byId = new Map();
  #ordered = null;
  #newestWithCursor = null;
  #listeners = new Set();

  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size() {
    return this.#byId.size;
  }

  get(id) {
    return this.#byId.get(id);
  }

  /** Messages in display order. */
  get ordered() {
    this.#ordered ??= [...this.#byId.values()].sort(compareMessages);
    return this.#ordered;
  }

  /** The cursor of the newest server message seen: where a catch-up starts. */
  get newestCursor() {
    return this.#newestWithCursor?.cursor ?? null;
  }

  /** Adds or replaces server messages (a server copy also settles our pending one). */
  addFromServer(messages) {
    let changed = false;
    for (const message of messages) {
      if (!isServerMessage(message)) continue;
      const known = this.#byId.get(message.id);
      if (known?.status === STATUS.SENT && known.cursor === message.cursor) continue;
      this.#byId.set(message.id, { ...message, status: STATUS.SENT });
      this.#noteCursor(message);
      changed = true;
    }
    if (changed) this.#changed();
  }

  /** Shows a message of ours before the server has confirmed it. */
  addPending(message) {
    this.#byId.set(message.id, { ...message, status: STATUS.PENDING });
    this.#changed();
  }

  /** Moves one of our unconfirmed messages to `status`, with the reason when it failed. */
  setStatus(id, status, reason = null) {
    const known = this.#byId.get(id);
    if (!known || known.status === STATUS.SENT) return;
    this.#byId.set(id, { ...known, status, reason });
    this.#changed();
  }

  #noteCursor(message) {
    if (typeof message.cursor !== 'string' || !message.cursor) return;
    const newest = this.#newestWithCursor;
    if (!newest || compareMessages(message, newest) > 0) this.#newestWithCursor = message;
  }

  #changed() {
    this.#ordered = null;
    for (const listener of this.#listeners) listener();
  }
}
