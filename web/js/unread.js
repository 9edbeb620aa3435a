// Where the "New messages" divider goes: above what the user has not seen. What was unread when
// the document opened (after the server's read marker) is marked; so is what arrives while
// the user is away: the tab hidden, or the list scrolled up from the newest messages. What the
// user watched arrive (the tab shown, the list at the bottom) is never marked. The divider,
// once placed, stays put (paging back through history never moves it) until something new
// arrives unseen after the user had seen all it marked: then it moves above that. Pure: the
// page tells it what it knows at each draw.

/**
 * A message as far as the divider cares.
 * @typedef {{seq?: number, senderId: string, deleted?: boolean}} Seen
 */

export class UnreadDivider {
  /** @type {number | null} */
  #after = null;
  // Whether the messages after #after are ones the user had not seen (else it trails the newest).
  #marking = false;
  // The newest seq the user has seen, and the newest known at the last update.
  #seen = 0;
  #newest = 0;

  /** Whether the document's marker is in (before that there is no divider). */
  get opened() {
    return this.#after !== null;
  }

  /** The seq the divider goes after, or null while none marks anything. */
  get after() {
    return this.#marking ? this.#after : null;
  }

  /**
   * The document opened: the server's read marker, the newest seq then, and whether anything
   * after the marker is unread (someone else's, not deleted).
   * @param {{marker: number, newest: number, unread: boolean}} state
   */
  open({ marker, newest, unread }) {
    this.#after = marker;
    this.#seen = marker;
    this.#newest = Math.max(marker, newest);
    this.#marking = unread;
  }

  /**
   * What the page knows now: the newest seq it holds, and whether the user is watching it
   * arrive (the tab shown and the newest messages in view).
   * @param {{newest: number, watching: boolean}} state
   */
  update({ newest, watching }) {
    if (this.#after === null) return;
    if (newest > this.#newest && !watching && (!this.#marking || this.#seen >= this.#newest)) {
      // New messages while away, and nothing marked was left unseen: mark from here.
      this.#after = this.#seen;
      this.#marking = true;
    }
    this.#newest = Math.max(this.#newest, newest);
    if (watching) {
      this.#seen = Math.max(this.#seen, newest);
      if (!this.#marking) this.#after = this.#seen;
    }
  }
}

/**
 * Whether `message` is one the divider can stand above: after `after`, someone else's, not
 * deleted (ours not yet confirmed have no seq, and are ours anyway).
 * @param {Seen} message
 * @param {number} after
 * @param {string} ownUserId
 */
export function isUnreadAfter(message, after, ownUserId) {
  return (message.seq ?? 0) > after && message.senderId !== ownUserId && !message.deleted;
}

/**
 * The seq the list's divider goes after, or null for none: none when no shown message is
 * unread, and none while the first unread shown is the oldest loaded and the first unread
 * may be further back (the page loads it first).
 * @param {{messages: readonly Seen[], after: number | null, ownUserId: string, hasOlder: boolean}} shown
 */
export function dividerAfter({ messages, after, ownUserId, hasOlder }) {
  if (after === null) return null;
  const first = messages.findIndex((message) => isUnreadAfter(message, after, ownUserId));
  if (first === -1 || (first === 0 && firstUnreadIsOlder({ messages, after, hasOlder }))) return null;
  return after;
}

/**
 * Whether the first unread message may be older than those loaded: opening a document, the
 * page pages back until it holds it.
 * @param {{messages: readonly Seen[], after: number | null, hasOlder: boolean}} shown
 */
export function firstUnreadIsOlder({ messages, after, hasOlder }) {
  if (after === null || !hasOlder) return false;
  const oldest = messages.find((message) => message.seq !== undefined);
  return oldest === undefined || /** @type {number} */ (oldest.seq) > after + 1;
}
