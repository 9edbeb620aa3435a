// One document's messages in seq order, gapless: each server message carries `seq` (1, 2, 3, …
// per document, no gap, no repeat), so the store knows the highest seq up to which it holds
// every message. A message that arrives ahead of a missing one is held back, not shown, until
// the missing ones are fetched; then the held ones follow in order. An id that arrives again
// replaces what the store had (the server copy settles our pending one; later, an edit).

export const STATUS = Object.freeze({
  SENT: 'sent',
  PENDING: 'pending',
  FAILED: 'failed',
  // Saved by the server but not broadcast; the server's copy arrives with the next catch-up.
  STORED: 'stored',
});

function isServerMessage(value) {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof value.id === 'string' &&
    typeof value.text === 'string' &&
    Number.isInteger(value.seq) &&
    value.seq > 0 &&
    typeof value.cursor === 'string' &&
    value.cursor !== '' &&
    !Number.isNaN(Date.parse(value.createdAt))
  );
}

function newestOf(messages) {
  let newest = null;
  for (const message of messages) {
    if (!newest || message.seq > newest.seq) newest = message;
  }
  return newest;
}

export class MessageStore {
  // Shown messages: the server's from the oldest loaded page up to #top, plus our own
  // not yet confirmed (no seq: they show last, in the order they were sent).
  #byId = new Map();
  #sendOrder = new Map();
  // seq -> server message that came ahead of a missing one.
  #held = new Map();
  // Every seq from the oldest loaded page up to #top is shown; null until the newest
  // history page gave the start (0: the document was empty then).
  #top = null;
  #topCursor = null;
  #ordered = null;
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

  /** Messages in display order: by seq, then our unconfirmed ones in send order. */
  get ordered() {
    this.#ordered ??= [...this.#byId.values()].sort((a, b) => this.#compare(a, b));
    return this.#ordered;
  }

  /** Whether the newest history page has given the store its start. */
  get started() {
    return this.#top !== null;
  }

  /** Highest seq up to which every message is shown (0: none yet; null: not started). */
  get contiguousSeq() {
    return this.#top;
  }

  /**
   * Where a catch-up starts: the cursor of the message at contiguousSeq, not of the newest
   * one seen, so messages missing below a held one are fetched too. Null when there is none.
   */
  get catchUpCursor() {
    return this.#topCursor;
  }

  /** How many server messages wait behind a missing one. */
  get heldCount() {
    return this.#held.size;
  }

  /** The server has messages the store lacks: a gap below held ones, or our stored ones. */
  get incomplete() {
    if (this.#top !== null && this.#held.size > 0) return true;
    return [...this.#byId.values()].some((message) => message.status === STATUS.STORED);
  }

  /** Starts from the newest history page (newest first); the store holds no server message yet. */
  startFrom(page) {
    const messages = page.filter(isServerMessage);
    for (const message of messages) this.#show(message);
    const newest = newestOf(messages);
    this.#top = newest?.seq ?? 0;
    this.#topCursor = newest?.cursor ?? null;
    for (const seq of this.#held.keys()) {
      if (seq <= this.#top) this.#held.delete(seq);
    }
    this.#releaseHeld();
    this.#changed();
  }

  /** Adds an older history page: below everything shown, so it cannot leave a gap. */
  addOlder(page) {
    for (const message of page.filter(isServerMessage)) this.#show(message);
    this.#changed();
  }

  /**
   * Takes server messages from anywhere after the start (live push, catch-up, the reply to
   * our send), in any order: shows each in turn once all before it are shown.
   */
  addFromServer(messages) {
    for (const message of messages.filter(isServerMessage)) {
      if (this.#top === null || message.seq > this.#top + 1) {
        this.#held.set(message.seq, message);
      } else if (message.seq === this.#top + 1) {
        this.#extend(message);
      } else if (this.#byId.has(message.id)) {
        this.#show(message);
      }
      // Unknown and below the top: older than the oldest loaded page, which paging back brings.
    }
    this.#releaseHeld();
    this.#changed();
  }

  /** Shows a message of ours before the server has confirmed it. */
  addPending(message) {
    this.#sendOrder.set(message.id, this.#sendOrder.size);
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

  #show(message) {
    this.#byId.set(message.id, { ...message, status: STATUS.SENT });
  }

  // A copy held earlier for this seq is now stale: this one is shown instead.
  #extend(message) {
    this.#held.delete(message.seq);
    this.#show(message);
    this.#top = message.seq;
    this.#topCursor = message.cursor;
  }

  #releaseHeld() {
    while (this.#top !== null && this.#held.has(this.#top + 1)) {
      this.#extend(this.#held.get(this.#top + 1));
    }
  }

  // Server messages by seq; ours without one after them all, in send order.
  #compare(a, b) {
    const aHasSeq = Number.isInteger(a.seq);
    const bHasSeq = Number.isInteger(b.seq);
    if (aHasSeq && bHasSeq) return a.seq - b.seq;
    if (aHasSeq !== bHasSeq) return aHasSeq ? -1 : 1;
    return this.#sendOrder.get(a.id) - this.#sendOrder.get(b.id);
  }

  #changed() {
    this.#ordered = null;
    for (const listener of this.#listeners) listener();
  }
}
