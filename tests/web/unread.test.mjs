// The unread model (web/js/unread.js): the divider marks what was unread when the document
// opened and what arrived unseen (tab hidden, list scrolled up), never what the user watched
// arrive, and stays put while history pages in; and the document list's counts
// (web/js/unread-counts.js).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { UnreadCounts } from '../../web/js/unread-counts.js';
import { dividerAfter, firstUnreadIsOlder, UnreadDivider } from '../../web/js/unread.js';

const ME = 'alice';
const theirs = (seq) => ({ seq, senderId: 'bob' });
const mine = (seq) => ({ seq, senderId: ME });
const range = (from, to, make = theirs) => Array.from({ length: to - from + 1 }, (_, index) => make(from + index));

describe('the divider', () => {
  test('is not there before the document opened', () => {
    const divider = new UnreadDivider();
    divider.update({ newest: 5, watching: false });
    assert.equal(divider.opened, false);
    assert.equal(divider.after, null);
  });

  test('never marks messages watched as they arrive', () => {
    const divider = new UnreadDivider();
    divider.open({ marker: 4, newest: 4, unread: false });
    for (const newest of [5, 6, 7]) {
      divider.update({ newest, watching: true });
      assert.equal(divider.after, null);
    }
  });

  test('marks what was unread when the document opened, and keeps it there', () => {
    const divider = new UnreadDivider();
    divider.open({ marker: 0, newest: 150, unread: true });
    assert.equal(divider.after, 0);
    // Read down to the bottom, then more arrive while watching: it stays where it was.
    divider.update({ newest: 150, watching: true });
    divider.update({ newest: 151, watching: true });
    assert.equal(divider.after, 0);
  });

  test('stays put while the user reads the unread ones and more arrive', () => {
    const divider = new UnreadDivider();
    divider.open({ marker: 10, newest: 30, unread: true });
    divider.update({ newest: 31, watching: false });
    assert.equal(divider.after, 10);
  });

  test('marks what arrives while the tab is hidden or the list scrolled up', () => {
    const divider = new UnreadDivider();
    divider.open({ marker: 3, newest: 3, unread: false });
    divider.update({ newest: 5, watching: true });
    divider.update({ newest: 6, watching: false });
    divider.update({ newest: 8, watching: false });
    assert.equal(divider.after, 5);
    // Back at the bottom: still above the first that arrived unseen.
    divider.update({ newest: 9, watching: true });
    assert.equal(divider.after, 5);
  });

  test('moves to the next unseen arrival once everything it marked was seen', () => {
    const divider = new UnreadDivider();
    divider.open({ marker: 0, newest: 20, unread: true });
    divider.update({ newest: 20, watching: true });
    divider.update({ newest: 21, watching: false });
    assert.equal(divider.after, 20);
  });

  test('nothing new while away moves nothing', () => {
    const divider = new UnreadDivider();
    divider.open({ marker: 7, newest: 7, unread: false });
    divider.update({ newest: 7, watching: false });
    assert.equal(divider.after, null);
  });
});

describe('where the list draws it', () => {
  test('above the first unread message of someone else', () => {
    const messages = [theirs(1), mine(2), mine(3), theirs(4)];
    assert.equal(dividerAfter({ messages, after: 1, ownUserId: ME, hasOlder: false }), 1);
    assert.equal(dividerAfter({ messages: messages.slice(0, 3), after: 1, ownUserId: ME, hasOlder: false }), null);
  });

  test('not above the oldest loaded one while the first unread may be older', () => {
    const loaded = range(101, 150);
    assert.equal(dividerAfter({ messages: loaded, after: 0, ownUserId: ME, hasOlder: true }), null);
    assert.equal(firstUnreadIsOlder({ messages: loaded, after: 0, hasOlder: true }), true);
    // Everything loaded: above seq 1.
    const all = range(1, 150);
    assert.equal(dividerAfter({ messages: all, after: 0, ownUserId: ME, hasOlder: true }), 0);
    assert.equal(firstUnreadIsOlder({ messages: all, after: 0, hasOlder: true }), false);
  });

  test('above the oldest loaded one when it is the first unread', () => {
    const loaded = range(101, 150);
    assert.equal(dividerAfter({ messages: loaded, after: 100, ownUserId: ME, hasOlder: true }), 100);
    assert.equal(firstUnreadIsOlder({ messages: loaded, after: 100, hasOlder: true }), false);
  });

  test('loading older messages never moves it', () => {
    const after = 120;
    const before = dividerAfter({ messages: range(101, 150), after, ownUserId: ME, hasOlder: true });
    const later = dividerAfter({ messages: range(51, 150), after, ownUserId: ME, hasOlder: true });
    assert.equal(before, later);
  });

  test('none while nothing marks', () => {
    assert.equal(dividerAfter({ messages: range(1, 3), after: null, ownUserId: ME, hasOlder: false }), null);
    assert.equal(firstUnreadIsOlder({ messages: [], after: null, hasOlder: true }), false);
  });

  test('deleted messages are not unread', () => {
    const messages = [theirs(1), { seq: 2, senderId: 'bob', deleted: true }];
    assert.equal(dividerAfter({ messages, after: 1, ownUserId: ME, hasOlder: false }), null);
  });
});

describe('the document list counts', () => {
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  test('asks each document once at a time and keeps what failed to answer', async () => {
    const asked = [];
    /** @type {Map<string, (answer: {unread: number}) => void>} */
    const pending = new Map();
    let changes = 0;
    const counts = new UnreadCounts({
      read: (id) => {
        asked.push(id);
        if (id === 'private') return Promise.reject(new Error('403'));
        return new Promise((resolve) => pending.set(id, resolve));
      },
      onChange: () => (changes += 1),
    });
    const first = counts.refresh(['a', 'b', 'private']);
    counts.refresh(['a']);
    assert.deepEqual(asked, ['a', 'b', 'private']);
    pending.get('a')?.({ unread: 3 });
    pending.get('b')?.({ unread: 0 });
    await first;
    assert.deepEqual([...counts.counts], [
      ['a', 3],
      ['b', 0],
    ]);
    assert.equal(changes, 2);
    counts.set('a', 0);
    assert.equal(counts.counts.get('a'), 0);
  });

  test('drops answers asked for before clear()', async () => {
    let answer = (_value) => {};
    const counts = new UnreadCounts({
      read: () => new Promise((resolve) => (answer = resolve)),
      onChange: () => {},
    });
    const asked = counts.refresh(['a']);
    counts.clear();
    answer({ unread: 9 });
    await asked;
    await settle();
    assert.equal(counts.counts.size, 0);
  });
});
