// The user's notifications across documents (issue 22): the unread count the bell shows, the
// inbox's items newest first with "load more" by continuationToken, live ones as they come
// (a live event may come again: items are kept by id), marking one or all read.
//
// The count is the server's (every list answer carries unreadCount), moved on locally by what
// the page itself sees or does: a new unread item +1, marking one read -1, all read 0. An
// answer that was under way while such a change happened may or may not include it, so it is
// not taken: the count is read again instead (a few times at most).

/**
 * @typedef {object} Notification
 * @property {string} id
 * @property {'mention' | 'reply'} kind
 * @property {string} documentId
 * @property {string} messageId
 * @property {string | null} threadId
 * @property {{id: string, name: string}} actor
 * @property {string | null} excerpt  none for a deleted message
 * @property {string} createdAt
 * @property {string | null} readAt
 */

/**
 * A page of the inbox, as the API answers it.
 * @typedef {{items?: unknown[], continuationToken?: string | null, unreadCount?: number}} InboxPage
 */

/**
 * What the inbox reaches the API through.
 * @typedef {object} InboxApi
 * @property {(query: {unread: boolean, continuationToken?: string | null}) => Promise<InboxPage>} notifications
 * @property {(id: string) => Promise<unknown>} markNotificationRead
 * @property {() => Promise<unknown>} markAllNotificationsRead
 */

// Reads of the count in a row that changes overtook, before the last answer is taken anyway.
const COUNT_READS = 3;

/**
 * @param {any} value  anything the server or the network brought
 * @returns {value is Notification}
 */
export function isNotification(value) {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof value.id === 'string' &&
    (value.kind === 'mention' || value.kind === 'reply') &&
    typeof value.documentId === 'string' &&
    typeof value.messageId === 'string' &&
    (value.threadId == null || typeof value.threadId === 'string') &&
    typeof value.actor?.id === 'string' &&
    typeof value.actor?.name === 'string' &&
    (value.excerpt == null || typeof value.excerpt === 'string') &&
    !Number.isNaN(Date.parse(value.createdAt)) &&
    (value.readAt == null || typeof value.readAt === 'string')
  );
}

/** @param {Notification} item */
const isUnread = (item) => item.readAt == null;

/**
 * Newest first; one moment's items by id, so the order never flickers.
 * @param {Notification} a
 * @param {Notification} b
 */
function newestFirst(a, b) {
  return Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export class Inbox {
  /** @type {Map<string, Notification>} */
  #items = new Map();
  /** @type {Notification[] | null} */
  #ordered = null;
  unreadCount = 0;
  /** @type {string | null} */
  #token = null;
  loaded = false;
  loading = false;
  failed = false;
  // Bumped by every change the page makes to the count itself.
  #changes = 0;
  // Bumped by every first page asked for: a page of an earlier round moves no token.
  #round = 0;
  #api;
  #onChange;
  #onError;

  /**
   * @param {object} options
   * @param {InboxApi} options.api
   * @param {() => void} options.onChange  hears every change
   * @param {(message: string) => void} [options.onError]  a failed request, to show
   */
  constructor({ api, onChange, onError = () => {} }) {
    this.#api = api;
    this.#onChange = onChange;
    this.#onError = onError;
  }

  /** The items, newest first. */
  get items() {
    this.#ordered ??= [...this.#items.values()].sort(newestFirst);
    return this.#ordered;
  }

  get hasMore() {
    return this.#token !== null;
  }

  /**
   * Reads the unread count afresh (on start, and after a new connection: events may have been
   * missed), with the newest unread items: a live event for one of them (stored before this
   * read, pushed after it) then counts nothing more.
   */
  async refreshCount() {
    for (let read = 1; read <= COUNT_READS; read += 1) {
      const before = this.#changes;
      let page;
      try {
        page = await this.#api.notifications({ unread: true });
      } catch {
        // The count stays as it was; the next connection reads it again.
        return;
      }
      this.#putAll(page);
      if (before === this.#changes || read === COUNT_READS) {
        this.#takeCount(page);
        return;
      }
    }
  }

  /** The first page, afresh: what the inbox shows when it opens. */
  loadFirst() {
    this.#round += 1;
    this.#token = null;
    return this.#loadPage(null);
  }

  /** The next page, if there is one and none is on its way. */
  loadMore() {
    if (this.#token === null || this.loading) return Promise.resolve();
    return this.#loadPage(this.#token);
  }

  /**
   * A live `notification` event: an item, maybe one already here. Says whether it is new.
   * @param {unknown} item
   */
  receive(item) {
    // The same item again: nothing new to count.
    if (!isNotification(item) || this.#items.has(item.id)) return false;
    this.#put(item);
    if (isUnread(item)) this.#count(+1);
    this.#onChange();
    return true;
  }

  /**
   * Marks one item read (at once on the page; the server's answer then replaces it).
   * @param {string} id
   */
  async markRead(id) {
    const item = this.#items.get(id);
    if (!item || !isUnread(item)) return;
    this.#put({ ...item, readAt: new Date().toISOString() });
    this.#count(-1);
    this.#onChange();
    try {
      const answered = await this.#api.markNotificationRead(id);
      if (isNotification(answered)) this.#put(answered);
    } catch (error) {
      const now = this.#items.get(id);
      if (now && !isUnread(now)) {
        this.#put({ ...now, readAt: null });
        this.#count(+1);
      }
      this.#onError(`Couldn't mark the notification read: ${error.message}`);
    }
    this.#onChange();
  }

  async markAllRead() {
    const now = new Date().toISOString();
    /** @type {Notification[]} */
    const marked = [];
    for (const item of this.#items.values()) {
      if (isUnread(item)) {
        marked.push(item);
        this.#put({ ...item, readAt: now });
      }
    }
    const before = this.unreadCount;
    this.#count(-before);
    this.#onChange();
    try {
      const answered = await this.#api.markAllNotificationsRead();
      const count = /** @type {{unreadCount?: unknown} | null} */ (answered)?.unreadCount;
      if (typeof count === 'number') this.unreadCount = count;
    } catch (error) {
      for (const item of marked) this.#put(item);
      this.#count(before);
      this.#onError(`Couldn't mark the notifications read: ${error.message}`);
    }
    this.#onChange();
  }

  /** @param {string | null} token */
  async #loadPage(token) {
    const before = this.#changes;
    const round = this.#round;
    this.loading = true;
    this.failed = false;
    this.#onChange();
    try {
      const page = await this.#api.notifications({ unread: false, continuationToken: token });
      this.#putAll(page);
      if (before === this.#changes) this.#takeCount(page);
      else this.refreshCount();
      if (round !== this.#round) return;
      // An empty page cannot move the token on: asking again would only loop.
      this.#token = (page.items ?? []).length > 0 ? (page.continuationToken ?? null) : null;
      this.loaded = true;
    } catch (error) {
      if (round !== this.#round) return;
      this.failed = true;
      this.#onError(`Couldn't load the notifications: ${error.message}`);
    } finally {
      if (round === this.#round) this.loading = false;
      this.#onChange();
    }
  }

  /** @param {InboxPage} page */
  #putAll(page) {
    for (const item of page.items ?? []) if (isNotification(item)) this.#put(item, { keepRead: true });
    this.#onChange();
  }

  /** @param {InboxPage} page */
  #takeCount(page) {
    if (typeof page.unreadCount !== 'number' || page.unreadCount === this.unreadCount) return;
    this.unreadCount = page.unreadCount;
    this.#onChange();
  }

  /** @param {number} by */
  #count(by) {
    this.#changes += 1;
    this.unreadCount = Math.max(0, this.unreadCount + by);
  }

  /**
   * Keeps `item` by its id. `keepRead`: a page read before the page marked it read does not
   * make it unread again.
   * @param {Notification} item
   * @param {{keepRead?: boolean}} [options]
   */
  #put(item, { keepRead = false } = {}) {
    const known = this.#items.get(item.id);
    const kept = keepRead && known && !isUnread(known) && isUnread(item) ? { ...item, readAt: known.readAt } : item;
    this.#items.set(item.id, kept);
    this.#ordered = null;
  }
}
