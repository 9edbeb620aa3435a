// The documents a client hears without joining them: a document list counting each one's
// unread messages live (`POST /api/documents/{id}/watch`: the connection is in the document's
// group, not present in it). Each is watched on every new connection, again once its session
// closed (leaving takes the connection out of the group), and every PRESENCE_REFRESH_MS (the
// note that lets a revocation find the connection expires as a presence entry does). Best
// effort: a watch that fails leaves that document to the list's periodic reads.

import { ApiError } from './api.js';
import { NOT_YET_KNOWN, NOT_YET_KNOWN_RETRY_MS } from './chat-session.js';

/** @typedef {import('./api.js').Api} Api */
/** @typedef {import('./chat-session.js').Clock} Clock */

export class Watches {
  /** @type {Set<string>} */
  #documents = new Set();
  #api;
  #clock;
  #joined;

  /**
   * @param {object} options
   * @param {Api} options.api
   * @param {Clock} options.clock
   * @param {(documentId: string) => boolean} options.joined  whether a session has it open
   *   (a joined document hears already)
   */
  constructor({ api, clock, joined }) {
    this.#api = api;
    this.#clock = clock;
    this.#joined = joined;
  }

  /**
   * From now on the documents watched are `documentIds`; the new ones are watched on
   * `connectionId` at once (the others stop being heard with the next connection).
   * @param {Iterable<string>} documentIds
   * @param {string | null} connectionId
   */
  set(documentIds, connectionId) {
    const added = [...documentIds].filter((id) => !this.#documents.has(id));
    this.#documents = new Set(documentIds);
    if (connectionId) for (const id of added) this.watch(id, connectionId);
  }

  /** @param {string} connectionId */
  watchAll(connectionId) {
    for (const id of this.#documents) this.watch(id, connectionId);
  }

  /**
   * Watches `documentId` on `connectionId` if it is one of the watched and not joined; a
   * connection the app has not yet heard of is tried again soon, as a join is.
   * @param {string} documentId
   * @param {string} connectionId
   */
  async watch(documentId, connectionId) {
    for (const wait of [...NOT_YET_KNOWN_RETRY_MS, null]) {
      if (!this.#documents.has(documentId) || this.#joined(documentId)) return;
      try {
        await this.#api.watch(documentId, connectionId);
        return;
      } catch (error) {
        if (wait === null || !(error instanceof ApiError) || error.code !== NOT_YET_KNOWN) return;
        await this.#clock.sleep(wait);
      }
    }
  }
}
