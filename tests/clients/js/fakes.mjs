// Stand-ins for what the JS client's modules (clients/js/src) reach out through, for unit tests of their logic: a
// document as the server keeps it (gapless seq, a change stream of positions, history and
// catch-up pages, threads as the threads issue describes them), the client's API answering from
// it, and a clock that never waits.

import { setImmediate as nextTurn } from 'node:timers/promises';

import { ApiError } from '../../../clients/js/src/api.js';

export const DOCUMENT_ID = 'doc-1';
export const ALICE = Object.freeze({ id: 'alice', name: 'Alice' });
export const BOB = Object.freeze({ id: 'bob', name: 'Bob' });
export const CAROL = Object.freeze({ id: 'carol', name: 'Carol' });

// How many participants a thread's summary names, most recent first.
const PARTICIPANTS = 5;

// The fake's cursors are its own, as the server's are opaque: the stream position.
export const cursorAt = (position) => `after-${position}`;
const positionOf = (cursor) => Number(cursor.slice('after-'.length));

/** A message as the server sends it; what is not given follows `seq`. */
export function serverMessage(seq, given = {}) {
  const position = given.position ?? seq;
  return {
    id: `m${seq}`,
    documentId: DOCUMENT_ID,
    senderId: BOB.id,
    senderName: BOB.name,
    text: `message ${seq}`,
    createdAt: new Date(Date.UTC(2024, 4, 1, 10, 0, seq)).toISOString(),
    seq,
    editedAt: null,
    deleted: false,
    reactions: {},
    // As the server sends a root with no thread and no anchor.
    threadId: null,
    thread: null,
    anchor: null,
    mentions: [],
    ...given,
    position,
    cursor: cursorAt(position),
  };
}

/** A message's tombstone, as the server sends a deleted one: no text. */
export function tombstone(seq, position) {
  const { text, ...rest } = serverMessage(seq, { position, deleted: true });
  return rest;
}

/** A `reactionsChanged` event. */
export function reactionsChange(seq, position, reactions) {
  return { id: `m${seq}`, documentId: DOCUMENT_ID, seq, position, cursor: cursorAt(position), reactions };
}

/**
 * One document as the server keeps it. Every new message, edit, deletion and reaction takes
 * the next stream position; history pages go newest first, catch-up pages (`after`) in
 * position order with each message as it is now. `expired` hides the oldest messages, as a
 * message time to live does. Threads: a reply (`replyTo`) is a message with its own seq and
 * `threadId`; its root's summary changes with it and takes the next position (as the server
 * changes both at once), as a resolution does. History pages are roots only.
 */
export class FakeDocument {
  messages = [];
  expired = 0;
  #position = 0;

  constructor({ pageSize = 3 } = {}) {
    this.pageSize = pageSize;
  }

  store(text, { id, sender = BOB, replyTo, anchor, mentions = [] } = {}) {
    const seq = this.messages.length + 1;
    const target = replyTo === undefined ? null : this.#find(replyTo);
    const threadId = target ? (target.threadId ?? target.id) : null;
    const message = serverMessage(seq, {
      id: id ?? `m${seq}`,
      text,
      senderId: sender.id,
      senderName: sender.name,
      position: this.#nextPosition(),
      threadId,
      anchor: anchor ?? null,
      mentions,
    });
    this.messages.push(message);
    if (threadId !== null) this.#summarize(threadId);
    return structuredClone(message);
  }

  /** Stores a reply by `sender` to `replyTo`; the reply as stored. */
  reply(replyTo, text, sender = BOB) {
    return this.store(text, { replyTo, sender });
  }

  /** Resolves (or reopens) a thread; the root as it is now. */
  resolve(rootId, resolved, by = BOB) {
    const thread = this.#find(rootId).thread ?? this.#summary(rootId);
    const resolution = resolved
      ? { resolved, resolvedBy: { ...by }, resolvedAt: '2024-05-01T12:00:00.000Z' }
      : { resolved, resolvedBy: null, resolvedAt: null };
    return this.#change(rootId, { thread: { ...thread, ...resolution } });
  }

  /** Stores `count` messages "message 1", "message 2", ... */
  storeMany(count) {
    return Array.from({ length: count }, () => this.store(`message ${this.messages.length + 1}`));
  }

  edit(id, text) {
    return this.#change(id, { text, editedAt: '2024-05-01T11:00:00.000Z' });
  }

  delete(id) {
    const message = this.#change(id, { deleted: true });
    delete message.text;
    delete this.#find(id).text;
    if (message.threadId !== null) this.#summarize(message.threadId);
    return message;
  }

  /** Adds `userId`'s `emoji` reaction; the `reactionsChanged` event. */
  react(id, emoji, userId) {
    const users = this.#find(id).reactions[emoji] ?? [];
    return this.#setReactions(id, emoji, [...users, userId]);
  }

  /** Takes back `userId`'s `emoji` reaction; the `reactionsChanged` event. */
  unreact(id, emoji, userId) {
    const users = this.#find(id).reactions[emoji] ?? [];
    return this.#setReactions(id, emoji, users.filter((user) => user !== userId));
  }

  get(id) {
    return structuredClone(this.#find(id));
  }

  /** Roots newest first, `pageSize` at a time; the token names the seq to continue below. */
  history(token = null) {
    const below = token === null ? Infinity : Number(token);
    const kept = this.#roots().filter((message) => message.seq < below).reverse();
    const items = kept.slice(0, this.pageSize);
    const more = kept.length > items.length;
    return { items: structuredClone(items), continuationToken: more ? String(items.at(-1).seq) : null };
  }

  /** What changed after `cursor`, oldest change first, each message as it is now. */
  after(cursor) {
    const changed = this.#kept()
      .filter((message) => message.position > positionOf(cursor))
      .sort((a, b) => a.position - b.position);
    const items = changed.slice(0, this.pageSize);
    const more = changed.length > items.length;
    return { items: structuredClone(items), continuationToken: more ? items.at(-1).cursor : null };
  }

  /** A thread: its root, then its replies oldest first, `pageSize` at a time. */
  thread(rootId, token = null) {
    const all = [this.#find(rootId), ...this.#kept().filter((message) => message.threadId === rootId)];
    const from = token === null ? 0 : Number(token);
    const items = all.slice(from, from + this.pageSize);
    const more = from + items.length < all.length;
    return { items: structuredClone(items), continuationToken: more ? String(from + items.length) : null };
  }

  /** Roots with replies, a resolution or an anchor, open or `resolved`, latest change first. */
  threads(resolved, token = null) {
    const all = this.#roots()
      .filter((root) => (root.thread !== null || root.anchor !== null) && (root.thread?.resolved === true) === resolved)
      .sort((a, b) => b.position - a.position);
    const from = token === null ? 0 : Number(token);
    const items = all.slice(from, from + this.pageSize);
    const more = from + items.length < all.length;
    return { items: structuredClone(items), continuationToken: more ? String(from + items.length) : null };
  }

  #roots() {
    return this.#kept().filter((message) => message.threadId === null);
  }

  // The root's summary after a reply came or went: it takes the next position.
  #summarize(rootId) {
    const { resolved = false, resolvedBy = null, resolvedAt = null } = this.#find(rootId).thread ?? {};
    this.#change(rootId, { thread: { ...this.#summary(rootId), resolved, resolvedBy, resolvedAt } });
  }

  #summary(rootId) {
    const replies = this.messages.filter((message) => message.threadId === rootId && !message.deleted);
    const participants = [];
    for (const reply of [...replies].reverse()) {
      if (participants.length < PARTICIPANTS && !participants.some((person) => person.id === reply.senderId)) {
        participants.push({ id: reply.senderId, name: reply.senderName });
      }
    }
    return {
      replyCount: replies.length,
      lastReplyAt: replies.at(-1)?.createdAt ?? null,
      participants,
      resolved: false,
      resolvedBy: null,
      resolvedAt: null,
    };
  }

  #setReactions(id, emoji, users) {
    const { [emoji]: _, ...others } = this.#find(id).reactions;
    const reactions = users.length ? { ...others, [emoji]: users } : others;
    const { seq, position, cursor } = this.#change(id, { reactions });
    return { id, documentId: DOCUMENT_ID, seq, position, cursor, reactions };
  }

  #kept() {
    return this.messages.slice(this.expired);
  }

  #find(id) {
    const found = this.messages.find((message) => message.id === id);
    if (!found) throw new Error(`no message ${id}`);
    return found;
  }

  #change(id, fields) {
    const found = this.#find(id);
    const position = this.#nextPosition();
    Object.assign(found, fields, { position, cursor: cursorAt(position) });
    return structuredClone(found);
  }

  #nextPosition() {
    this.#position += 1;
    return this.#position;
  }
}

/**
 * The client's API (clients/js/src/api.js) answering from a FakeDocument. `calls` lists every request
 * as [method, ...arguments]. `fail(method, ...errors)` makes its next calls throw those (one
 * whose `stored` is true did what it was asked first, as the server does when only the
 * broadcast failed); `hold(method)` keeps the next call's answer, read from the document at
 * once, until `release()`, as a slow network would.
 */
export class FakeApi {
  calls = [];
  /** The most calls of each method that were under way at once. */
  mostAtOnce = new Map();
  presentUsers = [ALICE];
  readSeq = 0;
  // Hears the `presence` event a join announces, as the server sends it to the document's
  // group (the joining connection included) before the join answers; a join that only
  // refreshes a connection's entry announces nothing (chat/app/service.py). null: lost.
  announceTo = null;
  #joined = new Set();
  #underWay = new Map();
  #failures = new Map();
  #holds = new Map();

  constructor(document) {
    this.document = document;
    // The page calls some unbound (react picks one of two), as createApi's closures allow.
    for (const method of ['addReaction', 'removeReaction']) this[method] = this[method].bind(this);
  }

  fail(method, ...errors) {
    this.#failures.set(method, [...(this.#failures.get(method) ?? []), ...errors]);
  }

  hold(method) {
    const hold = held();
    this.#holds.set(method, async () => {
      this.#holds.delete(method);
      await hold.wait();
    });
    return { reached: hold.reached, release: hold.release };
  }

  /** Whether no call is under way. */
  get idle() {
    return [...this.#underWay.values()].every((count) => count === 0);
  }

  /** The arguments of each call of `method`. */
  callsOf(method) {
    return this.calls.filter(([name]) => name === method).map(([, ...args]) => args);
  }

  join(documentId, connectionId) {
    return this.#answer('join', [documentId, connectionId], () => {
      if (!this.#joined.has(connectionId)) this.announceTo?.({ documentId, users: this.presentUsers });
      this.#joined.add(connectionId);
      return null;
    });
  }

  leave(documentId, connectionId) {
    return this.#answer('leave', [documentId, connectionId], () => {
      this.#joined.delete(connectionId);
      return null;
    });
  }

  watch(documentId, connectionId) {
    return this.#answer('watch', [documentId, connectionId], () => null);
  }

  readStatus(documentId) {
    return this.#answer('readStatus', [documentId], () => ({ seq: this.readSeq, unread: 0 }));
  }

  markRead(documentId, seq) {
    return this.#answer('markRead', [documentId, seq], () => null);
  }

  presence(documentId) {
    return this.#answer('presence', [documentId], () => ({ users: this.presentUsers }));
  }

  history(documentId, continuationToken = null) {
    return this.#answer('history', [documentId, continuationToken], () => this.document.history(continuationToken));
  }

  messagesAfter(documentId, cursor) {
    return this.#answer('messagesAfter', [documentId, cursor], () => this.document.after(cursor));
  }

  /** Stores the message once per id, as the server does, and answers it as stored. */
  sendMessage(documentId, message) {
    return this.#answer('sendMessage', [documentId, message], () => {
      const { id, text, replyTo, mentions } = message;
      const known = this.document.messages.find((stored) => stored.id === id);
      return known ? structuredClone(known) : this.document.store(text, { id, sender: ALICE, replyTo, mentions });
    });
  }

  setResolved(documentId, rootId, resolved) {
    return this.#answer('setResolved', [documentId, rootId, resolved], () => this.document.resolve(rootId, resolved, ALICE));
  }

  thread(documentId, rootId, continuationToken = null) {
    return this.#answer('thread', [documentId, rootId, continuationToken], () => this.document.thread(rootId, continuationToken));
  }

  threads(documentId, resolved, continuationToken = null) {
    return this.#answer('threads', [documentId, resolved, continuationToken], () =>
      this.document.threads(resolved, continuationToken),
    );
  }

  editMessage(documentId, messageId, text) {
    return this.#answer('editMessage', [documentId, messageId, text], () => this.document.edit(messageId, text));
  }

  deleteMessage(documentId, messageId) {
    return this.#answer('deleteMessage', [documentId, messageId], () => this.document.delete(messageId));
  }

  addReaction(documentId, messageId, emoji) {
    return this.#answer('addReaction', [documentId, messageId, emoji], () => {
      this.document.react(messageId, emoji, ALICE.id);
      return this.document.get(messageId);
    });
  }

  removeReaction(documentId, messageId, emoji) {
    return this.#answer('removeReaction', [documentId, messageId, emoji], () => {
      this.document.unreact(messageId, emoji, ALICE.id);
      return this.document.get(messageId);
    });
  }

  async #answer(method, args, read) {
    this.calls.push([method, ...args]);
    if (this.calls.length > MAX_CALLS) throw new Error(`more than ${MAX_CALLS} requests: a loop that never ends`);
    const underWay = (this.#underWay.get(method) ?? 0) + 1;
    this.#underWay.set(method, underWay);
    this.mostAtOnce.set(method, Math.max(this.mostAtOnce.get(method) ?? 0, underWay));
    try {
      const failure = this.#failures.get(method)?.shift();
      const answer = !failure || failure.stored === true ? read() : null;
      await this.#holds.get(method)?.();
      await nextTurn();
      if (failure) throw failure;
      return answer;
    } finally {
      this.#underWay.set(method, this.#underWay.get(method) - 1);
    }
  }
}

const MAX_CALLS = 300;

/** A notification as the inbox route answers it; what is not given follows `n`. */
export function notification(n, given = {}) {
  return {
    id: `n${n}`,
    kind: 'mention',
    documentId: DOCUMENT_ID,
    messageId: `m${n}`,
    threadId: null,
    actor: { ...BOB },
    excerpt: `message ${n}`,
    createdAt: new Date(Date.UTC(2024, 4, 1, 10, 0, n)).toISOString(),
    readAt: null,
    ...given,
  };
}

/**
 * One user's inbox as the server keeps it, with the inbox routes' API (clients/js/src/api.js): pages
 * newest first, `pageSize` at a time, the token the index to go on from, every answer with the
 * unread count. `calls` lists every request as [method, ...arguments]; `hold(method)` keeps the
 * next answer, read at once, until `release()`; `fail(method, error)` makes the next call throw.
 */
export class FakeInboxApi {
  items = [];
  calls = [];
  #holds = new Map();
  #failures = new Map();

  constructor({ pageSize = 3 } = {}) {
    this.pageSize = pageSize;
  }

  /** Adds an item, as the server does when a notification is created; the item. */
  add(item) {
    this.items.push(item);
    return structuredClone(item);
  }

  get unreadCount() {
    return this.items.filter((item) => item.readAt === null).length;
  }

  hold(method) {
    const hold = held();
    this.#holds.set(method, async () => {
      this.#holds.delete(method);
      await hold.wait();
    });
    return { reached: hold.reached, release: hold.release };
  }

  fail(method, error) {
    this.#failures.set(method, error);
  }

  notifications({ unread, continuationToken = null }) {
    return this.#answer('notifications', [{ unread, continuationToken }], () => {
      const all = this.items
        .filter((item) => !unread || item.readAt === null)
        .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
      const from = continuationToken === null ? 0 : Number(continuationToken);
      const items = all.slice(from, from + this.pageSize);
      const more = from + items.length < all.length;
      return {
        items: structuredClone(items),
        continuationToken: more ? String(from + items.length) : null,
        unreadCount: this.unreadCount,
      };
    });
  }

  markNotificationRead(id) {
    return this.#answer('markNotificationRead', [id], () => {
      const item = this.items.find((known) => known.id === id);
      item.readAt ??= '2024-05-02T09:00:00.000Z';
      return structuredClone(item);
    });
  }

  markAllNotificationsRead() {
    return this.#answer('markAllNotificationsRead', [], () => {
      for (const item of this.items) item.readAt ??= '2024-05-02T09:00:00.000Z';
      return { unreadCount: 0 };
    });
  }

  async #answer(method, args, read) {
    this.calls.push([method, ...args]);
    if (this.calls.length > MAX_CALLS) throw new Error(`more than ${MAX_CALLS} requests: a loop that never ends`);
    const failure = this.#failures.get(method);
    this.#failures.delete(method);
    const answer = failure ? null : read();
    await this.#holds.get(method)?.();
    await nextTurn();
    if (failure) throw failure;
    return answer;
  }
}

/** A point where something waits: `wait()` there waits (and says it `reached` it) until `release()`. */
function held() {
  let release;
  let reach;
  const released = new Promise((resolve) => {
    release = resolve;
  });
  const reached = new Promise((resolve) => {
    reach = resolve;
  });
  const wait = async () => {
    reach();
    await released;
  };
  return { wait, reached, release };
}

/** An error as the API throws it; `stored` as a failed send reports it. */
export function apiError(status, { code = 'test_error', stored = null } = {}) {
  return new ApiError(status, code, `failed with ${status}`, { stored });
}

/**
 * A clock that never waits: `sleep(ms)` moves the time on by `ms` and goes on at the next
 * turn of the event loop (so a loop that never ends still lets the test fail). `sleeps` lists
 * every wait asked for; `repeat()` runs what `every` set up, as if its period passed.
 */
export class FakeClock {
  time = 0;
  sleeps = [];
  #repeating = new Set();
  #hold = null;

  /** Keeps the next sleep from ending until `release()`. */
  hold() {
    const hold = held();
    this.#hold = hold.wait;
    return { reached: hold.reached, release: hold.release };
  }

  now() {
    return this.time;
  }

  async sleep(ms) {
    this.sleeps.push(ms);
    if (this.sleeps.length > MAX_SLEEPS) throw new Error(`more than ${MAX_SLEEPS} waits: a loop that never ends`);
    this.time += ms;
    const hold = this.#hold;
    this.#hold = null;
    await hold?.();
    await nextTurn();
  }

  every(ms, callback) {
    const entry = { ms, callback };
    this.#repeating.add(entry);
    return () => this.#repeating.delete(entry);
  }

  /** The periods of what repeats now. */
  get repeating() {
    return [...this.#repeating].map((entry) => entry.ms);
  }

  repeat() {
    for (const { ms, callback } of this.#repeating) {
      this.time += ms;
      callback();
    }
  }
}

const MAX_SLEEPS = 200;

/**
 * Waits, a turn of the event loop at a time, until `condition()` holds; fails after
 * MAX_TURNS turns. Every fake answers within a turn or two, so this bounds work, not time.
 */
export async function until(condition, what) {
  for (let turn = 0; turn < MAX_TURNS; turn += 1) {
    if (condition()) return;
    await nextTurn();
  }
  throw new Error(`still not so after ${MAX_TURNS} turns: ${what}`);
}

const MAX_TURNS = 500;

/**
 * Lets `count` turns of the event loop pass: time enough for anything the fakes would start
 * to start (each answers in a turn), before a test checks that nothing did.
 */
export async function turns(count = 20) {
  for (let turn = 0; turn < count; turn += 1) await nextTurn();
}
