// Who can be mentioned in one document, and the names behind user ids. The people route
// (GET /api/documents/{id}/people: readers in members mode, recent senders and present
// people in open mode) is read when the document opens and again on demand (an `@` typed),
// at most once per PEOPLE_FRESH_MS; a failed read keeps the last list and is tried again
// after PEOPLE_RETRY_MS (not at every key typed after an `@`). People seen on the page
// (present, senders of the messages it shows) are offered too, at once (the route's answer
// may be older than them), and lend their names to mentions.

/** @typedef {import('./mentions.js').Person} Person */

/** How long a read of the people route is used before an `@` reads it again. */
export const PEOPLE_FRESH_MS = 30_000;
/** How long after a failed read of the people route an `@` reads it again. */
export const PEOPLE_RETRY_MS = 5_000;

/**
 * @param {unknown} value
 * @returns {value is Person}
 */
function isPerson(value) {
  const person = /** @type {{id?: unknown, name?: unknown} | null} */ (value);
  return typeof person?.id === 'string' && typeof person.name === 'string' && person.name !== '';
}

export class PeopleDirectory {
  /** @type {Person[]} */
  #listed = [];
  // When the list may be read again: a fresh list's age, or a failure's wait.
  #nextReadAt = -Infinity;
  /** @type {Promise<void> | null} */
  #reading = null;
  /** @type {Map<string, string>} id -> name, of the people seen on the page */
  #seen = new Map();
  #read;
  #now;
  #onChange;

  /**
   * @param {object} options
   * @param {() => Promise<{items?: unknown[]}>} options.read  the people route's answer
   * @param {() => void} [options.onChange]  a new list came
   * @param {() => number} [options.now]  milliseconds, as Date.now()
   */
  constructor({ read, onChange = () => {}, now = () => Date.now() }) {
    this.#read = read;
    this.#onChange = onChange;
    this.#now = now;
  }

  /** Reads the people route unless a read is under way or the last one is fresh. */
  refresh() {
    if (this.#reading || this.#now() < this.#nextReadAt) return this.#reading ?? Promise.resolve();
    this.#reading = this.#fetch();
    return this.#reading;
  }

  async #fetch() {
    try {
      const { items } = await this.#read();
      this.#listed = (items ?? []).filter(isPerson);
      this.#nextReadAt = this.#now() + PEOPLE_FRESH_MS;
      this.#onChange();
    } catch {
      // The last list stays.
      this.#nextReadAt = this.#now() + PEOPLE_RETRY_MS;
    } finally {
      this.#reading = null;
    }
  }

  /**
   * People the page met (present, senders): their names are known from now on.
   * @param {Iterable<Person>} people
   */
  see(people) {
    for (const person of people) if (isPerson(person)) this.#seen.set(person.id, person.name);
  }

  /**
   * Who to offer: the route's list, the `present` people and everyone else seen, each once,
   * never `self`.
   * @param {readonly Person[]} present
   * @param {string} self  the current user's id
   * @returns {Person[]}
   */
  candidates(present, self) {
    const seen = [...this.#seen].map(([id, name]) => ({ id, name }));
    /** @type {Map<string, Person>} */
    const byId = new Map();
    for (const person of [...this.#listed, ...present, ...seen]) {
      if (isPerson(person) && person.id !== self && !byId.has(person.id)) byId.set(person.id, person);
    }
    return [...byId.values()];
  }

  /**
   * The name of `id`: as the page last saw it, else as the route listed it.
   * @param {string} id
   */
  nameOf(id) {
    return this.#seen.get(id) ?? this.#listed.find((person) => person.id === id)?.name;
  }
}
