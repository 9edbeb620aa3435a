// Who is in the open document, and who of them is typing, as the server last said. Typing
// has no "stopped" event: a typist shows until TYPING_SHOWN_MS after their last typing event,
// or until their message arrives.

// Others send typing about every 2.5 s while they type (typing-signal.js): 4 s bridges one
// lost or dropped event without a flicker, and clears soon after they stop.
export const TYPING_SHOWN_MS = 4000;

/** @typedef {import('./api.js').User} User */

export class PresenceState {
  /** @type {User[]} */
  #users = [];
  // user id -> { user, timer }, in the order they started typing.
  /** @type {Map<string, {user: User, timer: ReturnType<typeof setTimeout>}>} */
  #typists = new Map();
  // Bumped by every presence event, so a fetch that was under way cannot undo a newer one.
  #events = 0;
  #onChange;

  /** @param {() => void} onChange  hears every change */
  constructor(onChange) {
    this.#onChange = onChange;
  }

  /** How many presence events have come. */
  get heard() {
    return this.#events;
  }

  /** The users present: [{id, name}]. */
  get users() {
    return this.#users;
  }

  /** The users typing now: [{id, name}]. */
  get typists() {
    return [...this.#typists.values()].map((entry) => entry.user);
  }

  /**
   * A `presence` event: the document's users now.
   * @param {User[]} users
   */
  update(users) {
    this.#events += 1;
    this.#setUsers(users);
  }

  /**
   * Sets the users from `fetchUsers()` (events may have been missed), unless an event came meanwhile.
   * @param {() => Promise<User[]>} fetchUsers
   */
  async load(fetchUsers) {
    const before = this.#events;
    const users = await fetchUsers();
    if (before === this.#events) this.#setUsers(users);
  }

  /** @param {User} user */
  typed(user) {
    clearTimeout(this.#typists.get(user.id)?.timer);
    const timer = setTimeout(() => this.stoppedTyping(user.id), TYPING_SHOWN_MS);
    this.#typists.set(user.id, { user, timer });
    this.#onChange();
  }

  /** @param {string} userId */
  stoppedTyping(userId) {
    const entry = this.#typists.get(userId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#typists.delete(userId);
    this.#onChange();
  }

  /** The document is closed: no timer may fire for it any more. */
  clear() {
    for (const { timer } of this.#typists.values()) clearTimeout(timer);
    this.#typists.clear();
  }

  /** @param {User[]} users */
  #setUsers(users) {
    this.#users = users;
    // Someone who left is not typing any more.
    const here = new Set(users.map((user) => user.id));
    for (const id of this.#typists.keys()) if (!here.has(id)) this.stoppedTyping(id);
    this.#onChange();
  }
}
