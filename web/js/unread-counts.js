// How many messages each listed document has unread, for the document list. The open
// document's count is the page's own (it holds its messages); every other one is the API's
// read status (`GET /api/documents/{id}/read`: the user's marker and the unread count after
// it), asked when the page starts or connects again, when the tab is shown again, when a
// notification names the document, and every COUNTS_EVERY_MS while the tab is shown, and
// counted up live as the client hears each new message of a listed document (it watches
// them). One question per document at a time; a failed one keeps what was known.

// The reads correct what the live count cannot know: messages read in another tab, a watch
// that failed, messages deleted.
export const COUNTS_EVERY_MS = 30_000;

export class UnreadCounts {
  /** @type {Map<string, number>} */
  #counts = new Map();
  /** @type {Set<string>} */
  #asking = new Set();
  #read;
  #onChange;
  // Bumped by clear(): answers to an older generation's questions are dropped.
  #generation = 0;

  /**
   * `read(id)` asks the API for the document's read status; `onChange()` hears every change.
   * @param {{read: (documentId: string) => Promise<{unread?: number}>, onChange: () => void}} options
   */
  constructor({ read, onChange }) {
    this.#read = read;
    this.#onChange = onChange;
  }

  /** The counts known, by document id. */
  get counts() {
    return /** @type {ReadonlyMap<string, number>} */ (this.#counts);
  }

  /**
   * A count the page knows itself (the open document's).
   * @param {string} documentId
   * @param {number} count
   */
  set(documentId, count) {
    if (this.#counts.get(documentId) === count) return;
    this.#counts.set(documentId, count);
    this.#onChange();
  }

  /**
   * Someone else's new message in `documentId`, heard live: one more unread (asked for when
   * the count is not known yet).
   * @param {string} documentId
   */
  arrived(documentId) {
    const known = this.#counts.get(documentId);
    if (known === undefined || this.#asking.has(documentId)) {
      this.refresh([documentId]);
      return;
    }
    this.set(documentId, known + 1);
  }

  /**
   * Asks for each document's count (those already being asked for are not asked again).
   * @param {readonly string[]} documentIds
   */
  async refresh(documentIds) {
    const generation = this.#generation;
    const asked = documentIds.filter((id) => !this.#asking.has(id));
    for (const id of asked) this.#asking.add(id);
    await Promise.all(
      asked.map(async (id) => {
        try {
          const { unread } = await this.#read(id);
          if (generation === this.#generation && Number.isInteger(unread)) this.set(id, /** @type {number} */ (unread));
        } catch {
          // Not readable, or not now: the count known stays (the next refresh asks again).
        } finally {
          if (generation === this.#generation) this.#asking.delete(id);
        }
      }),
    );
  }

  /** Forgets every count (another user signed in). */
  clear() {
    this.#generation += 1;
    this.#asking.clear();
    this.#counts.clear();
    this.#onChange();
  }
}
