// How far the user has read the open document: where the "new messages" divider goes (the
// server's marker when the document opened), how many messages are unread now, and telling
// the server as the user sees newer ones, at most once every REPORT_EVERY_MS.

// Reading down a busy document moves the marker many times a second; one request a second
// keeps the server's marker (and the user's other tabs) close behind.
export const REPORT_EVERY_MS = 1000;

/** @typedef {import('./message-store.js').ShownMessage} ShownMessage */

export class ReadMarker {
  #seq = 0;
  #reported = 0;
  /** @type {number | null} */
  #openedAt = null;
  /** @type {ReturnType<typeof setTimeout> | null} */
  #timer = null;
  #lastReport = -Infinity;
  #report;
  #onChange;

  /**
   * `report(seq)` tells the server (a promise); `onChange()` hears every move.
   * @param {{report: (seq: number) => Promise<unknown>, onChange: () => void}} options
   */
  constructor({ report, onChange }) {
    this.#report = report;
    this.#onChange = onChange;
  }

  /** Whether the server's marker has been loaded. */
  get loaded() {
    return this.#openedAt !== null;
  }

  /** The seq the divider goes after: the marker when the document opened (null until loaded). */
  get dividerAfter() {
    return this.#openedAt;
  }

  /**
   * The server's marker, as the document opens.
   * @param {number} seq
   */
  opened(seq) {
    this.#openedAt = seq;
    this.#seq = Math.max(this.#seq, seq);
    this.#reported = this.#seq;
    this.#onChange();
  }

  /**
   * The user has seen every message up to `seq`.
   * @param {number} seq
   */
  saw(seq) {
    if (!this.loaded || seq <= this.#seq) return;
    this.#seq = seq;
    this.#onChange();
    if (this.#timer === null) {
      const wait = Math.max(0, this.#lastReport + REPORT_EVERY_MS - performance.now());
      this.#timer = setTimeout(() => this.#flush(), wait);
    }
  }

  /**
   * How many of `messages` are unread: after the marker, someone else's, not deleted.
   * @param {readonly ShownMessage[]} messages
   * @param {string} ownUserId
   */
  unreadIn(messages, ownUserId) {
    return messages.filter(
      // Ours not yet confirmed have no seq (and are ours anyway).
      (message) => (message.seq ?? 0) > this.#seq && message.senderId !== ownUserId && !message.deleted,
    ).length;
  }

  /** The document is closed: nothing more is reported. */
  close() {
    if (this.#timer !== null) clearTimeout(this.#timer);
  }

  #flush() {
    this.#timer = null;
    this.#lastReport = performance.now();
    const seq = this.#seq;
    if (seq <= this.#reported) return;
    this.#report(seq).then(
      () => {
        this.#reported = Math.max(this.#reported, seq);
      },
      () => {
        // Best effort: the next message seen reports again.
      },
    );
  }
}
