// docchat's HTTP API, as the page uses it. Every request carries the dev identity headers.

import { identityHeaders } from './identity.js';

export const HUB_URL = '/api';
export const HISTORY_PAGE_SIZE = 50;

export class ApiError extends Error {
  /**
   * `stored`, for a failed send: true when the server kept the message although it could not
   * broadcast it, false when it kept nothing, null when nobody knows (no answer, or no say).
   */
  constructor(status, code, message, { stored = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.stored = stored;
  }
}

function documentPath(documentId, suffix) {
  return `${HUB_URL}/documents/${encodeURIComponent(documentId)}/${suffix}`;
}

function messagePath(documentId, messageId, suffix = '') {
  return documentPath(documentId, `messages/${encodeURIComponent(messageId)}${suffix}`);
}

function reactionPath(documentId, messageId, emoji) {
  return messagePath(documentId, messageId, `/reactions/${encodeURIComponent(emoji)}`);
}

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

export function createApi(currentUser) {
  async function request(method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          ...identityHeaders(currentUser()),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, 'network_error', `Cannot reach docchat (${error.message})`);
    }
    if (!response.ok) throw await readError(response);
    return response.status === 204 ? null : response.json();
  }

  return {
    join: (documentId, connectionId) =>
      request('POST', documentPath(documentId, 'join'), { connectionId }),

    leave: (documentId, connectionId) =>
      request('POST', documentPath(documentId, 'leave'), { connectionId }),

    sendMessage: (documentId, { id, text }) =>
      request('POST', documentPath(documentId, 'messages'), { id, text }),

    /** Each answers the message as it is now (a deletion: its tombstone). */
    editMessage: (documentId, messageId, text) =>
      request('PATCH', messagePath(documentId, messageId), { text }),
    // The id travels in the body: a message stored as `.` or `..` before ids were checked
    // cannot be named in a path (the browser resolves those segments as steps).
    deleteMessage: (documentId, messageId) =>
      request('POST', documentPath(documentId, 'deletions'), { messageId }),
    addReaction: (documentId, messageId, emoji) =>
      request('PUT', reactionPath(documentId, messageId, emoji)),
    removeReaction: (documentId, messageId, emoji) =>
      request('DELETE', reactionPath(documentId, messageId, emoji)),
    /** `{seq, unread}`: how far the user has read, and how many messages after it are unread. */
    readStatus: (documentId) => request('GET', documentPath(documentId, 'read')),
    markRead: (documentId, seq) => request('PUT', documentPath(documentId, 'read'), { seq }),
    /** `{users: [{id, name}]}`: who has the document open now. */
    presence: (documentId) => request('GET', documentPath(documentId, 'presence')),

    /** Newest first; pass the previous page's continuationToken for older messages. */
    history(documentId, continuationToken = null) {
      const query = new URLSearchParams({ limit: String(HISTORY_PAGE_SIZE) });
      if (continuationToken) query.set('continuationToken', continuationToken);
      return request('GET', `${documentPath(documentId, 'messages')}?${query}`);
    },

    /**
     * Oldest first: the messages stored (or changed) after `cursor`. A continuationToken means
     * more remain: it is the cursor to ask after next.
     */
    messagesAfter(documentId, cursor) {
      const query = new URLSearchParams({ after: cursor, limit: String(HISTORY_PAGE_SIZE) });
      return request('GET', `${documentPath(documentId, 'messages')}?${query}`);
    },
  };
}
