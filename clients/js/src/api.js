// docchat's HTTP API for a signed-in user: every route a chat client calls, each answering
// the body's JSON or throwing an ApiError with the error body's stable code and `stored`.
// Where it is and who calls come in through createApi: the base URL (the page's own /api, or
// an absolute one), the headers each request carries (the caller's identity) and fetch.

/** Where the page finds the API: the same origin, under /api. */
export const HUB_URL = '/api';
export const HISTORY_PAGE_SIZE = 50;
// A request that has not answered by then has failed (as a network error: worth a retry).
const REQUEST_TIMEOUT_MS = 15000;
/** The API's largest page: a client that was away catches up in as few round trips as it can. */
export const CATCH_UP_PAGE_SIZE = 500;

/** @typedef {{id: string, name: string}} User */

/**
 * A page of messages (the store checks each); a continuationToken means more remain.
 * @typedef {{items?: unknown[], continuationToken?: string | null}} MessagePage
 */

/** @typedef {ReturnType<typeof createApi>} Api */

export class ApiError extends Error {
  /**
   * `stored`, for a failed send: true when the server kept the message although it could not
   * broadcast it, false when it kept nothing, null when nobody knows (no answer, or no say).
   * @param {number} status  the HTTP status; 0 when no answer came
   * @param {string} code  the error body's stable code
   * @param {string} message
   * @param {{stored?: boolean | null}} [details]
   */
  constructor(status, code, message, { stored = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.stored = stored;
  }
}

/**
 * @param {string} documentId
 * @param {string} suffix
 */
function documentPath(documentId, suffix) {
  return `/documents/${encodeURIComponent(documentId)}/${suffix}`;
}

const NOTIFICATIONS_PATH = '/me/notifications';

/**
 * @param {string} documentId
 * @param {string} messageId
 */
function messagePath(documentId, messageId, suffix = '') {
  return documentPath(documentId, `messages/${encodeURIComponent(messageId)}${suffix}`);
}

/**
 * @param {string} documentId
 * @param {string} messageId
 * @param {string} emoji
 */
function reactionPath(documentId, messageId, emoji) {
  return messagePath(documentId, messageId, `/reactions/${encodeURIComponent(emoji)}`);
}

/**
 * @param {string} documentId
 * @param {string} rootId
 */
function threadPath(documentId, rootId, suffix = '') {
  return documentPath(documentId, `threads/${encodeURIComponent(rootId)}${suffix}`);
}

/** @param {string | null} continuationToken  the previous page's, or null for the first */
function pageQuery(continuationToken) {
  const query = new URLSearchParams({ limit: String(HISTORY_PAGE_SIZE) });
  if (continuationToken) query.set('continuationToken', continuationToken);
  return query;
}

/** @param {Response} response */
async function readError(response) {
  try {
    const body = await response.json();
    const { error } = body ?? {};
    if (error) {
      return new ApiError(response.status, error.code, error.message, { stored: error.stored ?? null });
    }
  } catch {
    // Not JSON (a proxy or a crash page): the status line is all there is.
  }
  return new ApiError(response.status, 'http_error', `${response.status} ${response.statusText}`);
}

/**
 * How a client reaches docchat.
 * @typedef {object} ApiOptions
 * @property {string} [baseUrl]  the API's root, `/api` by default (the page's own origin)
 * @property {() => Record<string, string>} [headers]  sent with every request: who calls
 * @property {typeof fetch} [fetch]  the fetch to use; the global one by default
 */

/** @param {ApiOptions} [options] */
export function createApi({ baseUrl = HUB_URL, headers = () => ({}), fetch: send = (input, init) => fetch(input, init) } = {}) {
  /**
   * The answer's JSON body (null for 204), as the API describes it.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async function request(method, path, body) {
    let response;
    try {
      response = await send(`${baseUrl}${path}`, {
        method,
        headers: {
          ...headers(),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new ApiError(0, 'network_error', `Cannot reach docchat (${error.message})`);
    }
    if (!response.ok) throw await readError(response);
    return response.status === 204 ? null : response.json();
  }

  return {
    /**
     * @param {string} documentId
     * @param {string} connectionId
     * @returns {Promise<unknown>}
     */
    join: (documentId, connectionId) =>
      request('POST', documentPath(documentId, 'join'), { connectionId }),

    /**
     * Hear the document's events on the connection without being present in it.
     * @param {string} documentId
     * @param {string} connectionId
     * @returns {Promise<unknown>}
     */
    watch: (documentId, connectionId) =>
      request('POST', documentPath(documentId, 'watch'), { connectionId }),

    /**
     * @param {string} documentId
     * @param {string} connectionId
     * @returns {Promise<unknown>}
     */
    leave: (documentId, connectionId) =>
      request('POST', documentPath(documentId, 'leave'), { connectionId }),

    /**
     * The message as stored (the store checks it); `replyTo` makes it a reply in that
     * message's thread; `mentions` names the users it mentions (sent only when there are some).
     * Sending the same `id` again never stores it twice.
     * @param {string} documentId
     * @param {{id: string, text: string, replyTo?: string, mentions?: string[]}} message
     * @returns {Promise<unknown>}
     */
    sendMessage: (documentId, { id, text, replyTo, mentions = [] }) =>
      request('POST', documentPath(documentId, 'messages'), {
        id,
        text,
        ...(replyTo ? { replyTo } : {}),
        ...(mentions.length > 0 ? { mentions } : {}),
      }),

    /**
     * Who can be mentioned in the document: `{items: [{id, name}]}` (the directory checks it).
     * @param {string} documentId
     * @returns {Promise<{items?: unknown[]}>}
     */
    people: (documentId) => request('GET', documentPath(documentId, 'people')),

    /**
     * A page of the user's notifications, newest first, with the unread count; `unread` keeps
     * the unread ones only.
     * @param {{unread: boolean, continuationToken?: string | null}} query
     * @returns {Promise<import('./inbox.js').InboxPage>}
     */
    notifications({ unread, continuationToken = null }) {
      const query = new URLSearchParams({ unread: String(unread) });
      if (continuationToken) query.set('continuationToken', continuationToken);
      return request('GET', `${NOTIFICATIONS_PATH}?${query}`);
    },

    /**
     * Marks one notification read; answers it.
     * @param {string} id
     * @returns {Promise<unknown>}
     */
    markNotificationRead: (id) => request('PUT', `${NOTIFICATIONS_PATH}/${encodeURIComponent(id)}/read`),

    /**
     * Marks every notification read; answers `{unreadCount: 0}`.
     * @returns {Promise<unknown>}
     */
    markAllNotificationsRead: () => request('PUT', `${NOTIFICATIONS_PATH}/read-all`),

    /**
     * Resolves a thread (`resolved`) or reopens it; answers its root as it is now.
     * @param {string} documentId
     * @param {string} rootId
     * @param {boolean} resolved
     * @returns {Promise<unknown>}
     */
    setResolved: (documentId, rootId, resolved) =>
      request('PUT', threadPath(documentId, rootId, '/resolved'), { resolved }),

    /**
     * A thread: its root, then its replies oldest first; pass the previous page's
     * continuationToken for the next replies.
     * @param {string} documentId
     * @param {string} rootId
     * @param {string | null} [continuationToken]
     * @returns {Promise<MessagePage>}
     */
    thread(documentId, rootId, continuationToken = null) {
      return request('GET', `${threadPath(documentId, rootId)}?${pageQuery(continuationToken)}`);
    },

    /**
     * The roots of the document's threads, open or `resolved`, latest activity first.
     * @param {string} documentId
     * @param {boolean} resolved
     * @param {string | null} [continuationToken]
     * @returns {Promise<MessagePage>}
     */
    threads(documentId, resolved, continuationToken = null) {
      const query = pageQuery(continuationToken);
      query.set('resolved', String(resolved));
      return request('GET', `${documentPath(documentId, 'threads')}?${query}`);
    },

    // Each answers the message as it is now (a deletion: its tombstone).
    /**
     * @param {string} documentId
     * @param {string} messageId
     * @param {string} text
     * @returns {Promise<unknown>}
     */
    editMessage: (documentId, messageId, text) =>
      request('PATCH', messagePath(documentId, messageId), { text }),
    /**
     * The id travels in the body: a message stored as `.` or `..` before ids were checked
     * cannot be named in a path (the browser resolves those segments as steps).
     * @param {string} documentId
     * @param {string} messageId
     * @returns {Promise<unknown>}
     */
    deleteMessage: (documentId, messageId) =>
      request('POST', documentPath(documentId, 'deletions'), { messageId }),
    /**
     * @param {string} documentId
     * @param {string} messageId
     * @param {string} emoji
     * @returns {Promise<unknown>}
     */
    addReaction: (documentId, messageId, emoji) =>
      request('PUT', reactionPath(documentId, messageId, emoji)),
    /**
     * @param {string} documentId
     * @param {string} messageId
     * @param {string} emoji
     * @returns {Promise<unknown>}
     */
    removeReaction: (documentId, messageId, emoji) =>
      request('DELETE', reactionPath(documentId, messageId, emoji)),
    /**
     * How far the user has read, and how many messages after it are unread.
     * @param {string} documentId
     * @returns {Promise<{seq: number, unread: number}>}
     */
    readStatus: (documentId) => request('GET', documentPath(documentId, 'read')),
    /**
     * @param {string} documentId
     * @param {number} seq
     * @returns {Promise<unknown>}
     */
    markRead: (documentId, seq) => request('PUT', documentPath(documentId, 'read'), { seq }),
    /**
     * Who has the document open now.
     * @param {string} documentId
     * @returns {Promise<{users?: User[]}>}
     */
    presence: (documentId) => request('GET', documentPath(documentId, 'presence')),

    /**
     * Newest first; pass the previous page's continuationToken for older messages.
     * @param {string} documentId
     * @param {string | null} [continuationToken]
     * @returns {Promise<MessagePage>}
     */
    history(documentId, continuationToken = null) {
      return request('GET', `${documentPath(documentId, 'messages')}?${pageQuery(continuationToken)}`);
    },

    /**
     * Oldest first: the messages stored (or changed) after `cursor`. A continuationToken means
     * more remain: it is the cursor to ask after next.
     * @param {string} documentId
     * @param {string} cursor
     * @returns {Promise<MessagePage>}
     */
    messagesAfter(documentId, cursor) {
      const query = new URLSearchParams({ after: cursor, limit: String(CATCH_UP_PAGE_SIZE) });
      return request('GET', `${documentPath(documentId, 'messages')}?${query}`);
    },
  };
}
