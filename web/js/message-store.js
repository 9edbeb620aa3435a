// One document's messages in seq order, gapless. Each server message carries two numbers:
// `seq` (1, 2, 3, … per document, no gap, no repeat, never changing) and `position`, its place
// in the document's change stream, which every new message, edit, deletion and reaction takes
// in turn. seq keeps the list gapless: a message that arrives ahead of a
// missing one is held back until the missing ones are fetched. The stream position orders
// two states of one message (an id that comes again replaces the copy the store has, unless
// that copy is the later one) and says where a catch-up must start: after the last position
// up to which the store holds the whole stream. With a message time to live the oldest
// messages go, so seq need not start at 1: a seq a complete catch-up did not bring is gone
// (see noneMissingUpTo), and the store stops waiting for it.

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
    // A deleted message is a tombstone: no text.
    (typeof value.text === 'string' || value.deleted === true) &&
    Number.isInteger(value.seq) &&
    value.seq > 0 &&
    Number.isInteger(value.position) &&
    typeof value.cursor === 'string' &&
    !Number.isNaN(Date.parse(value.createdAt))
  );
}

function isReactions(value) {
  if (value === null || typeof value !== 'object') return false;
  const isUserIds = (users) => Array.isArray(users) && users.every((id) => typeof id === 'string');
  return Object.values(value).every(isUserIds);
}

/** The later of two states of one message; ours not yet confirmed (no cursor) is the earlier. */
function later(known, message) {
  if (known?.cursor === undefined) return message;
  return message.position >= known.position ? message : known;
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
  // The store holds the change stream's every change up to this {position, cursor} (cursor
  // null before the first); positions seen above it wait here until those between arrive.
  #whole = null;
  #seenAbove = new Map();
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
   * Where a catch-up starts: the highest position up to which the store holds every change,
   * not the newest one seen, so changes missing below one seen are fetched too. Null when
   * there is none yet (a catch-up then reads all of history).
   */
  get catchUpCursor() {
    return this.#whole?.cursor ?? null;
  }

  /** How many server messages wait behind a missing one. */
  get heldCount() {
    return this.#held.size;
  }

  /** The newest seq waiting behind a missing one (null: none waits). */
  get newestHeldSeq() {
    return this.#held.size ? Math.max(...this.#held.keys()) : null;
  }

  /**
   * A catch-up read the whole stream after the store's cursor, having begun while messages
   * up to `seq` waited: the server no longer has a message below `seq` that it did not bring
   * (expired), so the waiting ones up to `seq` are shown without it. Held ones above `seq`
   * may wait for a message stored during the catch-up, and keep waiting.
   */
  noneMissingUpTo(seq) {
    if (seq === null || this.#top === null) return;
    for (;;) {
      const waiting = [...this.#held.keys()].filter((held) => held <= seq);
      if (!waiting.length) break;
      this.#top = Math.max(this.#top, Math.min(...waiting) - 1);
      this.#releaseHeld();
    }
    this.#changed();
  }

  /**
   * The server has what the store lacks: a message below held ones, a change below one seen,
   * or our stored-but-not-broadcast ones.
   */
  get incomplete() {
    if (this.#top !== null && (this.#held.size > 0 || this.#seenAbove.size > 0)) return true;
    return [...this.#byId.values()].some((message) => message.status === STATUS.STORED);
  }

  /**
   * Starts from the newest history page (newest first); the store holds no server message
   * yet. The page shows each of its messages as it is now, so the stream is whole up to its
   * latest change.
   */
  startFrom(page) {
    const messages = page.filter(isServerMessage);
    for (const message of messages) this.#show(message);
    this.#top = newestOf(messages)?.seq ?? 0;
    this.#whole = { position: 0, cursor: null };
    for (const [seq, message] of this.#held) {
      if (seq > this.#top) continue;
      this.#held.delete(seq);
      // A change pushed before the page came may be later than the page's copy.
      if (this.#byId.has(message.id)) this.#show(message);
    }
    this.#cover(messages);
    this.#releaseHeld();
    this.#changed();
  }

  /** Adds an older history page: below everything shown, so it cannot leave a gap. */
  addOlder(page) {
    for (const message of page.filter(isServerMessage)) this.#show(message);
    this.#changed();
  }

  /**
   * Takes server messages from anywhere after the start (live push, the reply to our send
   * or change), in any order: shows each in turn once all before it are shown.
   */
  addFromServer(messages) {
    this.#add(messages);
    this.#changed();
  }

  /**
   * Takes a catch-up page (or all of history): every change after the cursor asked from, up
   * to the page's latest, each message as it is now. The stream is whole up to there.
   */
  addCaughtUp(messages) {
    this.#cover(this.#add(messages));
    this.#changed();
  }

  /**
   * Takes a `reactionsChanged` event: one message's reactions as they are now, at its new
   * position, without the rest of the message. Merged into the copy shown; for a message
   * not shown the position stays unseen, so the catch-up that follows brings it whole.
   */
  addReactions(change) {
    const known = this.#byId.get(change?.id);
    if (known?.cursor === undefined || known.seq !== change.seq) return;
    const { position, cursor, reactions } = change;
    if (!Number.isInteger(position) || !isReactions(reactions)) return;
    this.addFromServer([{ ...known, position, cursor, reactions }]);
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

  #add(messages) {
    const valid = messages.filter(isServerMessage);
    for (const message of valid) {
      this.#see(message);
      if (this.#top === null || message.seq > this.#top + 1) {
        this.#held.set(message.seq, later(this.#held.get(message.seq), message));
      } else if (message.seq === this.#top + 1) {
        this.#extend(message);
      } else if (this.#byId.has(message.id)) {
        this.#show(message);
      }
      // Unknown and below the top: older than the oldest loaded page, which paging back brings.
    }
    this.#releaseHeld();
    return valid;
  }

  #show(message) {
    this.#byId.set(message.id, { ...later(this.#byId.get(message.id), message), status: STATUS.SENT });
  }

  // A copy held earlier for this seq is shown instead if it is the later one.
  #extend(message) {
    const held = this.#held.get(message.seq);
    this.#held.delete(message.seq);
    this.#show(later(held, message));
    this.#top = message.seq;
  }

  #releaseHeld() {
    while (this.#top !== null && this.#held.has(this.#top + 1)) {
      this.#extend(this.#held.get(this.#top + 1));
    }
  }

  #see(message) {
    const { position } = message;
    if (this.#whole === null || position > this.#whole.position) {
      this.#seenAbove.set(position, message.cursor);
    }
    this.#extendWhole();
  }

  // Everything up to the latest of `messages` is held: the stream is whole up to there.
  #cover(messages) {
    for (const message of messages) {
      const { position } = message;
      if (position > this.#whole.position) this.#whole = { position, cursor: message.cursor };
    }
    for (const position of this.#seenAbove.keys()) {
      if (position <= this.#whole.position) this.#seenAbove.delete(position);
    }
    this.#extendWhole();
  }

  #extendWhole() {
    if (this.#whole === null) return;
    for (let next = this.#whole.position + 1; this.#seenAbove.has(next); next += 1) {
      this.#whole = { position: next, cursor: this.#seenAbove.get(next) };
      this.#seenAbove.delete(next);
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
