// The thread list: the roots of a document's threads, open or resolved, latest activity first.
// Its pages come from the threads route; the roots themselves are read from the message store,
// which the stream keeps up to date, so a thread that changes after a page came moves, joins or
// leaves the list at once (resolved, reopened, its first reply, a new anchored message).

/** @typedef {import('./message-store.js').ServerMessage} ServerMessage */

export const THREAD_FILTER = Object.freeze({ OPEN: 'open', RESOLVED: 'resolved' });

/** @typedef {(typeof THREAD_FILTER)[keyof typeof THREAD_FILTER]} ThreadFilter */

/**
 * Whether `message` is a thread's root: a root with replies, a resolution or an anchor.
 * @param {ServerMessage} message
 */
export function isThreadRoot(message) {
  const { thread } = message;
  const listed = thread != null && (thread.replyCount > 0 || thread.resolved);
  return message.threadId == null && (listed || isAnchor(message.anchor));
}

/**
 * The anchor's quote, when it has one to show.
 * @param {ServerMessage | {anchor?: unknown}} message
 * @returns {string | null}
 */
export function anchorQuote(message) {
  const { anchor } = message;
  if (!isAnchor(anchor)) return null;
  const quote = /** @type {{quote?: unknown}} */ (anchor).quote;
  return typeof quote === 'string' && quote.trim() ? quote : null;
}

/**
 * @param {unknown} anchor
 * @returns {anchor is Record<string, unknown>}
 */
function isAnchor(anchor) {
  return anchor !== null && typeof anchor === 'object' && !Array.isArray(anchor);
}

/**
 * When the thread last saw activity: its root's stream position, which every change to the
 * thread (a reply, a resolution, an edit of the root) moves on. The threads route lists by
 * it too, so its pages and the live changes agree on the order.
 * @param {ServerMessage} root
 */
export function activityOf(root) {
  return root.position;
}

/**
 * @param {ServerMessage} root
 * @param {ThreadFilter} filter
 */
function passes(root, filter) {
  return isThreadRoot(root) && (root.thread?.resolved === true) === (filter === THREAD_FILTER.RESOLVED);
}

export class ThreadList {
  /** @type {ThreadFilter} */
  filter = THREAD_FILTER.OPEN;
  loading = false;
  // Whether the first page came (since the filter was set), or the last page asked failed.
  loaded = false;
  failed = false;
  /** @type {Set<string>} */
  #listed = new Set();
  /** @type {string | null} */
  #token = null;
  // While pages remain, a thread not on a page shows only if its activity is at least the
  // oldest listed: below that, threads of the pages not loaded would be missing around it.
  #cutoff = Infinity;
  // Counts the starts over, so a page asked for an earlier filter is dropped.
  generation = 0;

  /** Whether more pages remain. */
  get hasMore() {
    return this.#token !== null;
  }

  /** The continuation token of the next page (null: the first, or none left). */
  get token() {
    return this.#token;
  }

  /**
   * Starts over with `filter`, before its first page.
   * @param {ThreadFilter} filter
   */
  start(filter) {
    this.filter = filter;
    this.loaded = false;
    this.failed = false;
    this.#listed.clear();
    this.#token = null;
    this.#cutoff = Infinity;
    this.generation += 1;
  }

  /**
   * A page of roots from the threads route, after the ones before it.
   * @param {ServerMessage[]} roots  the page's valid roots
   * @param {string | null} token
   */
  addPage(roots, token) {
    for (const root of roots) {
      this.#listed.add(root.id);
      this.#cutoff = Math.min(this.#cutoff, activityOf(root));
    }
    this.#token = token;
    if (token === null) this.#cutoff = -Infinity;
    this.loaded = true;
  }

  /**
   * The threads to show, latest activity first, from the roots the store has now.
   * @template {ServerMessage} Root
   * @param {readonly Root[]} roots
   * @returns {Root[]}
   */
  shown(roots) {
    if (!this.loaded) return [];
    return roots
      .filter((root) => passes(root, this.filter) && (this.#listed.has(root.id) || activityOf(root) >= this.#cutoff))
      .sort((a, b) => activityOf(b) - activityOf(a));
  }
}
