// How many messages each listed document has unread, for the document list. The open
// document's count is the page's own (it holds its messages); every other one is the API's
// read status (`GET /api/documents/{id}/read`: the user's marker and the unread count after
// it), asked when the page starts or connects again, when the tab is shown again, when a
// notification names the document, and every COUNTS_EVERY_MS while the tab is shown. One
// question per document at a time; a failed one keeps what was known.

// A document the user is not in hears of new messages only through these reads.
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
