// The JS client's MessageStore (clients/js/src/message-store.js): one document's messages in seq order,
// gapless, whatever order history pages, catch-ups, live pushes and our own sends bring them in.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { MessageStore, STATUS } from '../../../clients/js/src/message-store.js';
import { ALICE, cursorAt, DOCUMENT_ID, reactionsChange, serverMessage, tombstone } from './fakes.mjs';

/** A store started from a history page holding `seqs` (newest first, as the API gives it). */
function startedWith(...seqs) {
  const store = new MessageStore();
  store.startFrom(seqs.map((seq) => serverMessage(seq)));
  return store;
}

const seqsOf = (store) => store.ordered.map((message) => message.seq ?? null);
const textOf = (store, seq) => store.ordered.find((message) => message.seq === seq)?.text;

function ownMessage(id, text = id) {
  return { id, documentId: DOCUMENT_ID, senderId: ALICE.id, senderName: ALICE.name, text, createdAt: '2024-05-01T09:00:00.000Z' };
}

describe('starting from the newest history page', () => {
  test('shows the page in seq order and knows where the stream is whole up to', () => {
    const store = new MessageStore();
    assert.equal(store.started, false);
    assert.equal(store.contiguousSeq, null);

    store.startFrom([serverMessage(3), serverMessage(2, { position: 4 }), serverMessage(1)]);

    assert.equal(store.started, true);
    assert.deepEqual(seqsOf(store), [1, 2, 3]);
    assert.equal(store.contiguousSeq, 3);
    // Message 2's edit is the page's latest change: a catch-up starts after it.
    assert.equal(store.catchUpCursor, cursorAt(4));
    assert.equal(store.incomplete, false);
  });

  test('of an empty document starts at seq 0 with no cursor (a catch-up then reads all history)', () => {
    const store = startedWith();
    assert.equal(store.contiguousSeq, 0);
    assert.equal(store.catchUpCursor, null);
    assert.deepEqual(store.ordered, []);
  });

  test('holds live pushes that come before it, then keeps the later copy of each', () => {
    const store = new MessageStore();
    store.addFromServer([serverMessage(2, { text: 'edited', position: 5 }), serverMessage(4, { position: 4 })]);
    assert.deepEqual(store.ordered, []);
    assert.equal(store.heldCount, 2);

    store.startFrom([serverMessage(3), serverMessage(2), serverMessage(1)]);

    // The push of 4 follows the page at once; the page's copy of 2 is older than the push's.
    assert.deepEqual(seqsOf(store), [1, 2, 3, 4]);
    assert.equal(textOf(store, 2), 'edited');
    assert.equal(store.heldCount, 0);
    assert.equal(store.contiguousSeq, 4);
  });

  test('drops a held push of a message older than the page, which paging back brings', () => {
    const store = new MessageStore();
    store.addFromServer([serverMessage(1, { text: 'edited', position: 9 })]);
    store.startFrom([serverMessage(8), serverMessage(7)]);
    assert.deepEqual(seqsOf(store), [7, 8]);
    assert.equal(store.heldCount, 0);
  });

  test('keeps only what looks like a server message', () => {
    const valid = serverMessage(1);
    const { text, ...noText } = serverMessage(2);
    const store = new MessageStore();
    store.startFrom([
      null,
      'message',
      noText,
      { ...serverMessage(2), seq: 0 },
      { ...serverMessage(2), seq: 2.5 },
      { ...serverMessage(2), seq: '2' },
      { ...serverMessage(2), id: 2 },
      { ...serverMessage(2), position: null },
      { ...serverMessage(2), cursor: 7 },
      { ...serverMessage(2), createdAt: 'yesterday' },
      valid,
    ]);
    assert.deepEqual(store.ordered.map((message) => message.id), ['m1']);
    assert.equal(store.contiguousSeq, 1);
  });

  test('takes a tombstone, which has no text', () => {
    const store = new MessageStore();
    store.startFrom([tombstone(2, 3), serverMessage(1)]);
    assert.deepEqual(seqsOf(store), [1, 2]);
    assert.equal(store.get('m2').deleted, true);
  });
});

describe('gaps', () => {
  test('a message ahead of a missing one waits until the missing one comes', () => {
    const store = startedWith(1);
    store.addFromServer([serverMessage(3)]);

    assert.deepEqual(seqsOf(store), [1]);
    assert.equal(store.contiguousSeq, 1);
    assert.equal(store.heldCount, 1);
    assert.equal(store.newestHeldSeq, 3);
    assert.equal(store.incomplete, true);
    // The catch-up must start below the gap, not after the newest message seen.
    assert.equal(store.catchUpCursor, cursorAt(1));

    store.addFromServer([serverMessage(2)]);

    assert.deepEqual(seqsOf(store), [1, 2, 3]);
    assert.equal(store.contiguousSeq, 3);
    assert.equal(store.heldCount, 0);
    assert.equal(store.newestHeldSeq, null);
    assert.equal(store.incomplete, false);
    assert.equal(store.catchUpCursor, cursorAt(3));
  });

  test('messages in any order end in seq order, each once', () => {
    const store = startedWith();
    store.addFromServer([serverMessage(5), serverMessage(3)]);
    store.addFromServer([serverMessage(2), serverMessage(5)]);
    store.addFromServer([serverMessage(4), serverMessage(1), serverMessage(3)]);
    assert.deepEqual(seqsOf(store), [1, 2, 3, 4, 5]);
    assert.equal(store.size, 5);
  });

  test('of two copies of a held message, the later one is shown', () => {
    const store = startedWith(1);
    store.addFromServer([serverMessage(3, { text: 'edited', position: 4 })]);
    store.addFromServer([serverMessage(3, { position: 3 })]);
    store.addFromServer([serverMessage(2)]);
    assert.equal(textOf(store, 3), 'edited');
  });

  test('a change to a message older than the oldest page shown is left to paging back', () => {
    const store = startedWith(9, 8);
    store.addFromServer([serverMessage(3, { text: 'edited', position: 10 })]);
    assert.deepEqual(seqsOf(store), [8, 9]);
    assert.equal(store.heldCount, 0);
  });

  test('an older history page goes below what is shown', () => {
    const store = startedWith(6, 5);
    store.addOlder([serverMessage(4), serverMessage(3)]);
    assert.deepEqual(seqsOf(store), [3, 4, 5, 6]);
    assert.equal(store.contiguousSeq, 6);
  });

  describe('expired messages (a message time to live)', () => {
    test('a whole catch-up stops the waiting for what it did not bring, up to where it began', () => {
      const store = startedWith(5, 4);
      store.addFromServer([serverMessage(7), serverMessage(9)]);

      // A whole catch-up began while 7 was the newest held: 6 is gone, 8 may come yet.
      store.noneMissingUpTo(7);

      assert.deepEqual(seqsOf(store), [4, 5, 7]);
      assert.equal(store.contiguousSeq, 7);
      assert.equal(store.heldCount, 1);

      store.addFromServer([serverMessage(8)]);
      assert.deepEqual(seqsOf(store), [4, 5, 7, 8, 9]);
    });

    test('releases several runs that each wait behind a gap', () => {
      const store = startedWith(1);
      store.addFromServer([serverMessage(3), serverMessage(4), serverMessage(7)]);
      store.noneMissingUpTo(7);
      assert.deepEqual(seqsOf(store), [1, 3, 4, 7]);
      assert.equal(store.heldCount, 0);
    });

    test('changes nothing without a held seq or before the store started', () => {
      const started = startedWith(1);
      started.addFromServer([serverMessage(3)]);
      started.noneMissingUpTo(null);
      assert.equal(started.heldCount, 1);

      const fresh = new MessageStore();
      fresh.addFromServer([serverMessage(3)]);
      fresh.noneMissingUpTo(3);
      assert.equal(fresh.heldCount, 1);
      assert.deepEqual(fresh.ordered, []);
    });
  });
});

describe('changes (edits, deletions) and the change stream', () => {
  test('a later copy of a message replaces it in place; an earlier one changes nothing', () => {
    const store = startedWith(2, 1);
    store.addFromServer([serverMessage(1, { text: 'edited', position: 3 })]);
    assert.deepEqual(seqsOf(store), [1, 2]);
    assert.equal(textOf(store, 1), 'edited');

    store.addFromServer([serverMessage(1)]);
    assert.equal(textOf(store, 1), 'edited');
  });

  test('a deletion is not undone by an edit that was overtaken by it', () => {
    const store = startedWith(2, 1);
    store.addFromServer([tombstone(1, 4)]);
    store.addCaughtUp([serverMessage(1, { text: 'edited', position: 3 })]);
    const deleted = store.get('m1');
    assert.equal(deleted.deleted, true);
    assert.equal(deleted.text, undefined);
  });

  test('a change seen above a missed one keeps the catch-up below the missed one', () => {
    const store = startedWith(2, 1);
    // Position 3 (say, a reaction) never came; 4 did.
    store.addFromServer([serverMessage(1, { text: 'edited', position: 4 })]);
    assert.equal(store.catchUpCursor, cursorAt(2));
    assert.equal(store.incomplete, true);

    // When 3 comes after all, the stream is whole up to 4.
    store.addFromServer([serverMessage(2, { text: 'edited too', position: 3 })]);
    assert.equal(store.catchUpCursor, cursorAt(4));
    assert.equal(store.incomplete, false);
  });

  test('a new message moves the seq on, not the catch-up past a missing change', () => {
    const store = startedWith(2, 1);
    store.addFromServer([serverMessage(1, { text: 'edited', position: 4 })]);
    store.addFromServer([serverMessage(3, { position: 5 })]);
    assert.equal(store.contiguousSeq, 3);
    assert.equal(store.catchUpCursor, cursorAt(2));
    assert.equal(store.incomplete, true);
  });

  test('a catch-up makes the stream whole up to its latest change, positions between included', () => {
    const store = startedWith(2, 1);
    store.addFromServer([serverMessage(3, { position: 6 })]);
    // Each message comes as it is now: positions 3 and 4 were earlier states of these.
    store.addCaughtUp([
      serverMessage(2, { reactions: { '👍': ['carol'] }, position: 5 }),
      serverMessage(3, { position: 6 }),
    ]);
    assert.equal(store.catchUpCursor, cursorAt(6));
    assert.equal(store.incomplete, false);
    assert.deepEqual(seqsOf(store), [1, 2, 3]);
  });

  test('a catch-up page older than what was pushed meanwhile changes nothing shown', () => {
    const store = startedWith(2, 1);
    store.addFromServer([serverMessage(2, { text: 'second edit', position: 4 })]);
    store.addCaughtUp([serverMessage(2, { text: 'first edit', position: 3 })]);
    assert.equal(textOf(store, 2), 'second edit');
    assert.equal(store.catchUpCursor, cursorAt(4));
  });
});

describe('reactions', () => {
  test('a reactionsChanged event changes the reactions of the message shown, and nothing else', () => {
    const store = startedWith(2, 1);
    store.addFromServer([serverMessage(1, { text: 'edited', position: 3 })]);
    store.addReactions(reactionsChange(1, 4, { '👍': ['bob'] }));

    const message = store.get('m1');
    assert.deepEqual(message.reactions, { '👍': ['bob'] });
    assert.equal(message.text, 'edited');
    assert.equal(message.position, 4);
    assert.equal(store.catchUpCursor, cursorAt(4));
  });

  test('an older state of the reactions changes nothing', () => {
    const store = startedWith(2, 1);
    store.addReactions(reactionsChange(1, 4, { '👍': ['bob'] }));
    store.addReactions(reactionsChange(1, 3, {}));
    assert.deepEqual(store.get('m1').reactions, { '👍': ['bob'] });
  });

  test('for a message not shown it is left for the catch-up, which brings the message whole', () => {
    const store = startedWith(2, 1);
    store.addReactions(reactionsChange(9, 3, { '🎉': ['carol'] }));
    assert.equal(store.size, 2);
    assert.equal(store.catchUpCursor, cursorAt(2));
  });

  test('one that does not match the message shown, or is not reactions, is ignored', () => {
    const store = startedWith(2, 1);
    store.addReactions({ ...reactionsChange(1, 3, { '👍': ['bob'] }), seq: 2 });
    store.addReactions(reactionsChange(1, 4, { '👍': 'bob' }));
    store.addReactions(reactionsChange(1, 5, ['👍']));
    store.addReactions({ ...reactionsChange(1, 6, { '👍': ['bob'] }), position: '6' });
    store.addReactions(null);
    assert.deepEqual(store.get('m1').reactions, {});
    assert.equal(store.catchUpCursor, cursorAt(2));
  });

  test('one for our own message the server has not confirmed yet is ignored', () => {
    const store = startedWith(1);
    store.addPending(ownMessage('mine'));
    store.addReactions({ ...reactionsChange(2, 3, { '👍': ['bob'] }), id: 'mine' });
    assert.equal(store.get('mine').reactions, undefined);
  });
});

describe('our own messages', () => {
  test('show last, in the order sent, until the server confirms them', () => {
    const store = startedWith(1);
    store.addPending(ownMessage('first'));
    store.addPending(ownMessage('second'));
    store.addFromServer([serverMessage(2)]);

    assert.deepEqual(
      store.ordered.map((message) => [message.id, message.status]),
      [
        ['m1', STATUS.SENT],
        ['m2', STATUS.SENT],
        ['first', STATUS.PENDING],
        ['second', STATUS.PENDING],
      ],
    );

    // The server's copy of "second" came first: it takes its seq's place.
    store.addFromServer([serverMessage(3, { id: 'second', text: 'second' })]);
    assert.deepEqual(
      store.ordered.map((message) => [message.id, message.seq ?? null, message.status]),
      [
        ['m1', 1, STATUS.SENT],
        ['m2', 2, STATUS.SENT],
        ['second', 3, STATUS.SENT],
        ['first', null, STATUS.PENDING],
      ],
    );
  });

  test('the server copy of a pending message fills a gap and releases what waited behind it', () => {
    const store = startedWith(1);
    store.addFromServer([serverMessage(3)]);
    store.addPending(ownMessage('mine'));
    store.addFromServer([serverMessage(2, { id: 'mine', text: 'mine' })]);
    assert.deepEqual(seqsOf(store), [1, 2, 3]);
    assert.equal(store.get('mine').status, STATUS.SENT);
  });

  test('a failure is shown with its reason, and may be retried', () => {
    const store = startedWith();
    store.addPending(ownMessage('mine'));
    store.setStatus('mine', STATUS.FAILED, 'failed with 400');
    assert.equal(store.get('mine').status, STATUS.FAILED);
    assert.equal(store.get('mine').reason, 'failed with 400');
    store.setStatus('mine', STATUS.PENDING);
    assert.equal(store.get('mine').status, STATUS.PENDING);
  });

  test('a status for a message the server has confirmed, or does not know, changes nothing', () => {
    const store = startedWith();
    store.addPending(ownMessage('mine'));
    store.addFromServer([serverMessage(1, { id: 'mine', text: 'mine' })]);
    store.setStatus('mine', STATUS.FAILED, 'too late');
    store.setStatus('unknown', STATUS.FAILED, 'no such message');
    assert.equal(store.get('mine').status, STATUS.SENT);
    assert.equal(store.get('unknown'), undefined);
  });

  test('one stored but not broadcast leaves the store incomplete until its copy arrives', () => {
    const store = startedWith();
    store.addPending(ownMessage('mine'));
    assert.equal(store.incomplete, false);
    store.setStatus('mine', STATUS.STORED, 'saved, not broadcast');
    assert.equal(store.incomplete, true);
    store.addCaughtUp([serverMessage(1, { id: 'mine', text: 'mine' })]);
    assert.equal(store.incomplete, false);
    assert.equal(store.get('mine').status, STATUS.SENT);
  });
});

describe('listeners', () => {
  test('hear every change until they unsubscribe, and the order is drawn afresh', () => {
    const store = startedWith(1);
    let heard = 0;
    const unsubscribe = store.subscribe(() => {
      heard += 1;
    });
    const before = store.ordered;
    store.addFromServer([serverMessage(2)]);
    store.addPending(ownMessage('mine'));
    assert.equal(heard, 2);
    assert.notEqual(store.ordered, before);
    assert.equal(store.ordered, store.ordered);

    unsubscribe();
    store.addFromServer([serverMessage(3)]);
    assert.equal(heard, 2);
  });
});
