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
//
// Threads: a reply is a message of the document like any other, with its own seq in the one
// stream, so it counts for the gapless seq as any message does; it carries `threadId`, its
// root's id. The timeline (`ordered`) shows roots only, from the oldest history page loaded
// on; a thread's replies are `repliesOf(rootId)`. History pages are roots only, so seqs
// missing between them are replies, not gaps. The store keeps every message it takes, also
// roots older than the timeline (a thread's root, one a live change names): the thread list
// and the thread panel read them from here, as up to date as the stream.

export const STATUS = Object.freeze({
  SENT: 'sent',
  PENDING: 'pending',
  FAILED: 'failed',
  // Saved by the server but not broadcast; the server's copy arrives with the next catch-up.
  STORED: 'stored',
});

/** @typedef {(typeof STATUS)[keyof typeof STATUS]} Status */

/** @typedef {Record<string, string[]>} Reactions  emoji -> the ids of the users who reacted so */

/** @typedef {{id: string, name: string}} Person */

/**
 * A thread's summary, on its root once it has replies or a resolution.
 * @typedef {object} ThreadSummary
 * @property {number} replyCount  replies not deleted
 * @property {string | null} [lastReplyAt]
 * @property {Person[]} [participants]  up to 5, most recent first
 * @property {boolean} resolved
 * @property {Person | null} [resolvedBy]
 * @property {string | null} [resolvedAt]
 */

/**
 * Where in the document a root is about: the app's own JSON; `quote` is the text it is about.
 * @typedef {{quote?: unknown} & Record<string, unknown>} Anchor
 */

/**
 * What every message has, the server's or ours that it has not confirmed yet.
 * @typedef {object} MessageBody
 * @property {string} id
 * @property {string} documentId
 * @property {string} senderId
 * @property {string} senderName
 * @property {string} [text]  a deleted message's tombstone has none
 * @property {string} createdAt
 * @property {string | null} [threadId]  a reply's: its thread's root (null or absent: a root)
 * @property {string[]} [mentions]  the ids of the users it mentions
 */

/**
 * A message as the server sends it, as it is after its latest change.
 * @typedef {MessageBody & {
 *   seq: number, position: number, cursor: string,
 *   editedAt?: string | null, deleted?: boolean, reactions?: Reactions,
 *   thread?: ThreadSummary | null, anchor?: Anchor | null,
 * }} ServerMessage
 */

/**
 * A `reactionsChanged` event: one message's reactions as they are now, at its new position.
 * @typedef {Pick<ServerMessage, 'id' | 'documentId' | 'seq' | 'position' | 'cursor'> & {
 *   reactions: Reactions,
 * }} ReactionsChange
 */

/**
 * A message as the store shows it: the server's copy, or ours before the server confirmed it
 * (without seq, position and cursor), with how its sending went.
 * @typedef {MessageBody & Partial<ServerMessage> & {status: Status, reason?: string | null}} ShownMessage
 */

/** @typedef {{position: number, cursor: string | null}} StreamPoint */

/**
 * @param {any} value  anything the server or the network brought
 * @returns {value is ServerMessage}
 */
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
    (value.threadId == null || typeof value.threadId === 'string') &&
    !Number.isNaN(Date.parse(value.createdAt))
  );
}

/**
 * @param {unknown} value
 * @returns {value is Reactions}
 */
function isReactions(value) {
  if (value === null || typeof value !== 'object') return false;
  /** @param {unknown} users */
  const isUserIds = (users) => Array.isArray(users) && users.every((id) => typeof id === 'string');
  return Object.values(value).every(isUserIds);
}

/**
 * Whether `known` is the server's copy (ours not yet confirmed has no cursor).
 * @param {ShownMessage | ServerMessage | undefined} known
 * @returns {known is ServerMessage}
 */
function isConfirmed(known) {
  return known?.cursor !== undefined;
}

/**
 * The later of two states of one message; ours not yet confirmed is the earlier.
 * @param {ShownMessage | ServerMessage | undefined} known
 * @param {ServerMessage} message
 * @returns {ServerMessage}
 */
function later(known, message) {
  if (!isConfirmed(known)) return message;
  return message.position >= known.position ? message : known;
}

/** @param {ServerMessage[]} messages */
function newestOf(messages) {
  /** @type {ServerMessage | null} */
  let newest = null;
  for (const message of messages) {
    if (!newest || message.seq > newest.seq) newest = message;
  }
  return newest;
}

/** @param {{threadId?: string | null}} message */
const isRoot = (message) => message.threadId == null;

/** @param {ServerMessage[]} messages */
function oldestSeq(messages) {
  return messages.length ? Math.min(...messages.map((message) => message.seq)) : null;
}

export class MessageStore {
  // Kept messages: the server's from the oldest loaded page up to #top, those older that a
  // thread or a change brought, and our own not yet confirmed (no seq: they show last, in the
  // order they were sent).
  /** @type {Map<string, ShownMessage>} */
  #byId = new Map();
  // The timeline shows the roots from this seq on: the oldest history page's oldest.
  #bottom = Infinity;
  /** @type {Map<string, number>} */
  #sendOrder = new Map();
  // seq -> server message that came ahead of a missing one.
  /** @type {Map<number, ServerMessage>} */
  #held = new Map();
  // Every seq from the oldest loaded page up to #top is shown; null until the newest
  // history page gave the start (0: the document was empty then).
  /** @type {number | null} */
  #top = null;
  // The store holds the change stream's every change up to this {position, cursor} (cursor
  // null before the first); positions seen above it wait here until those between arrive.
  /** @type {StreamPoint | null} */
  #whole = null;
  /** @type {Map<number, string>} position -> the cursor after it */
  #seenAbove = new Map();
  /** @type {ShownMessage[] | null} */
  #ordered = null;
  /** @type {Map<string, ShownMessage[]>} */
  #replies = new Map();
  /** @type {Set<() => void>} */
  #listeners = new Set();

  /**
   * Calls `listener` after every change; returns what unsubscribes it.
   * @param {() => void} listener
   */
  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size() {
    return this.#byId.size;
  }

  /** @param {string} id */
  get(id) {
    return this.#byId.get(id);
  }

  /** The timeline in display order: roots by seq, then our unconfirmed ones in send order. */
  get ordered() {
    this.#ordered ??= this.#sorted((message) => isRoot(message) && (message.seq ?? Infinity) >= this.#bottom);
    return this.#ordered;
  }

  /**
   * A thread's replies that the store has, in display order as the timeline.
   * @param {string} rootId
   */
  repliesOf(rootId) {
    let replies = this.#replies.get(rootId);
    if (!replies) {
      replies = this.#sorted((message) => message.threadId === rootId);
      this.#replies.set(rootId, replies);
    }
    return replies;
  }

  /**
   * Every root the server sent that the store has, the timeline's and older ones.
   * @returns {(ShownMessage & ServerMessage)[]}
   */
  get roots() {
    const roots = [...this.#byId.values()].filter((message) => isRoot(message) && isConfirmed(message));
    return /** @type {(ShownMessage & ServerMessage)[]} */ (roots);
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
   * @param {number | null} seq
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
   * @param {readonly unknown[]} page
   */
  startFrom(page) {
    const messages = page.filter(isServerMessage);
    for (const message of messages) this.#show(message);
    this.#top = newestOf(messages)?.seq ?? 0;
    this.#bottom = oldestSeq(messages) ?? this.#top + 1;
    this.#whole = { position: 0, cursor: null };
    for (const [seq, message] of this.#held) {
      if (seq > this.#top) continue;
      this.#held.delete(seq);
      // A change pushed before the page came may be later than the page's copy.
      this.#show(message);
    }
    this.#cover(messages);
    this.#releaseHeld();
    this.#changed();
  }

  /**
   * Adds an older history page: below everything shown, so it cannot leave a gap.
   * @param {readonly unknown[]} page
   */
  addOlder(page) {
    const messages = page.filter(isServerMessage);
    for (const message of messages) this.#show(message);
    this.#bottom = Math.min(this.#bottom, oldestSeq(messages) ?? Infinity);
    this.#changed();
  }

  /**
   * Adds a page of a thread (its root, then replies oldest first), each as it is now. They
   * are messages the stream had before the thread was asked for: they take no part in seq
   * or stream order, and a later copy from the stream still wins.
   * @param {readonly unknown[]} page
   */
  addThread(page) {
    for (const message of page.filter(isServerMessage)) this.#show(message);
    this.#changed();
  }

  /**
   * Takes server messages from anywhere after the start (live push, the reply to our send
   * or change), in any order: shows each in turn once all before it are shown.
   * @param {readonly unknown[]} messages
   */
  addFromServer(messages) {
    this.#add(messages);
    this.#changed();
  }

  /**
   * Takes a catch-up page (or all of history): every change after the cursor asked from, up
   * to the page's latest, each message as it is now. The stream is whole up to there.
   * @param {readonly unknown[]} messages
   */
  addCaughtUp(messages) {
    this.#cover(this.#add(messages));
    this.#changed();
  }

  /**
   * Takes a `reactionsChanged` event: one message's reactions as they are now, at its new
   * position, without the rest of the message. Merged into the copy shown; for a message
   * not shown the position stays unseen, so the catch-up that follows brings it whole.
   * @param {ReactionsChange} change
   */
  addReactions(change) {
    const known = this.#byId.get(change?.id);
    if (!isConfirmed(known) || known.seq !== change.seq) return;
    const { position, cursor, reactions } = change;
    if (!Number.isInteger(position) || !isReactions(reactions)) return;
    this.addFromServer([{ ...known, position, cursor, reactions }]);
  }

  /**
   * Shows a message of ours before the server has confirmed it.
   * @param {MessageBody} message
   */
  addPending(message) {
    this.#sendOrder.set(message.id, this.#sendOrder.size);
    this.#byId.set(message.id, { ...message, status: STATUS.PENDING });
    this.#changed();
  }

  /**
   * Moves one of our unconfirmed messages to `status`, with the reason when it failed.
   * @param {string} id
   * @param {Status} status
   * @param {string | null} [reason]
   */
  setStatus(id, status, reason = null) {
    const known = this.#byId.get(id);
    if (!known || known.status === STATUS.SENT) return;
    this.#byId.set(id, { ...known, status, reason });
    this.#changed();
  }

  /**
   * @param {readonly unknown[]} messages
   * @returns {ServerMessage[]} the valid ones
   */
  #add(messages) {
    const valid = messages.filter(isServerMessage);
    for (const message of valid) {
      this.#see(message);
      if (this.#top === null || message.seq > this.#top + 1) {
        this.#held.set(message.seq, later(this.#held.get(message.seq), message));
      } else if (message.seq === this.#top + 1) {
        this.#extend(message);
      } else {
        // Below the top: a change to a message shown, or to one older than the timeline,
        // which is kept for the thread list (a root) and the thread panel.
        this.#show(message);
      }
    }
    this.#releaseHeld();
    return valid;
  }

  /** @param {ServerMessage} message */
  #show(message) {
    this.#byId.set(message.id, { ...later(this.#byId.get(message.id), message), status: STATUS.SENT });
  }

  // A copy held earlier for this seq is shown instead if it is the later one.
  /** @param {ServerMessage} message */
  #extend(message) {
    const held = this.#held.get(message.seq);
    this.#held.delete(message.seq);
    this.#show(later(held, message));
    this.#top = message.seq;
  }

  #releaseHeld() {
    while (this.#top !== null) {
      const next = this.#held.get(this.#top + 1);
      if (!next) return;
      this.#extend(next);
    }
  }

  /** @param {ServerMessage} message */
  #see(message) {
    const { position } = message;
    if (this.#whole === null || position > this.#whole.position) {
      this.#seenAbove.set(position, message.cursor);
    }
    this.#extendWhole();
  }

  // Everything up to the latest of `messages` is held: the stream is whole up to there.
  /** @param {ServerMessage[]} messages */
  #cover(messages) {
    // Set by startFrom: a catch-up comes after the newest page.
    let whole = /** @type {StreamPoint} */ (this.#whole);
    for (const { position, cursor } of messages) {
      if (position > whole.position) whole = { position, cursor };
    }
    this.#whole = whole;
    for (const position of this.#seenAbove.keys()) {
      if (position <= whole.position) this.#seenAbove.delete(position);
    }
    this.#extendWhole();
  }

  #extendWhole() {
    while (this.#whole !== null) {
      const next = this.#whole.position + 1;
      const cursor = this.#seenAbove.get(next);
      if (cursor === undefined) return;
      this.#whole = { position: next, cursor };
      this.#seenAbove.delete(next);
    }
  }

  // Server messages by seq; ours without one after them all, in send order.
  /**
   * @param {ShownMessage} a
   * @param {ShownMessage} b
   */
  #compare(a, b) {
    if (a.seq !== undefined && b.seq !== undefined) return a.seq - b.seq;
    if (a.seq !== undefined || b.seq !== undefined) return a.seq !== undefined ? -1 : 1;
    // Ours, each given its place by addPending.
    const sent = (/** @type {ShownMessage} */ message) => /** @type {number} */ (this.#sendOrder.get(message.id));
    return sent(a) - sent(b);
  }

  /**
   * The kept messages that pass `keep`, in display order.
   * @param {(message: ShownMessage) => boolean} keep
   */
  #sorted(keep) {
    return [...this.#byId.values()].filter(keep).sort((a, b) => this.#compare(a, b));
  }

  #changed() {
    this.#ordered = null;
    this.#replies.clear();
    for (const listener of this.#listeners) listener();
  }
}
