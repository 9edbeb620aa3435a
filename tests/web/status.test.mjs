// The pill's one status (web/js/status.js) and the presence and typing lines
// (web/js/people-text.js).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { presenceText, typingText } from '../../web/js/people-text.js';
import { documentStatus, STATUS } from '../../web/js/status.js';

describe('the status', () => {
  const live = { connection: 'connected', sync: 'live', failing: false };

  test('is Live only when connected, joined and caught up', () => {
    assert.deepEqual(
      [documentStatus(live).status, documentStatus(live).label],
      [STATUS.LIVE, 'Live'],
    );
    assert.equal(documentStatus({ ...live, sync: 'loading' }).label, 'Syncing…');
    assert.equal(documentStatus({ ...live, connection: 'connecting' }).label, 'Connecting…');
    assert.equal(documentStatus({ ...live, connection: 'reconnecting' }).label, 'Reconnecting…');
  });

  test('says offline while a sync fails, even on an open socket', () => {
    // The socket reconnected, and joining answers that the service is unreachable.
    const shown = documentStatus({ connection: 'connected', sync: 'loading', failing: true });
    assert.deepEqual([shown.status, shown.label], [STATUS.OFFLINE, 'Offline — retrying']);
    assert.deepEqual(
      [documentStatus({ ...live, sync: 'offline' }).status, documentStatus({ ...live, sync: 'offline' }).label],
      [STATUS.OFFLINE, 'Not in sync'],
    );
    assert.equal(documentStatus({ ...live, connection: 'offline' }).status, STATUS.OFFLINE);
  });

  test('never says Live with no document open', () => {
    assert.equal(documentStatus({ ...live, sync: null }).status, STATUS.CONNECTED);
  });

  test('never says Live unless connected', () => {
    for (const connection of /** @type {const} */ (['connecting', 'reconnecting', 'offline'])) {
      for (const sync of /** @type {const} */ (['loading', 'live', 'offline', null])) {
        for (const failing of [false, true]) {
          assert.notEqual(documentStatus({ connection, sync, failing }).label, 'Live');
        }
      }
    }
  });
});

describe('presence', () => {
  const people = (...names) => names.map((name) => ({ id: name.toLowerCase(), name }));

  test('names the others, never the user', () => {
    assert.equal(presenceText(people('Me', 'Alice'), 'me'), 'Alice here');
    assert.equal(presenceText(people('Alice', 'Me', 'Bob'), 'me'), 'Alice and Bob here');
    assert.equal(presenceText(people('Alice', 'Bob', 'Carol'), 'me'), 'Alice, Bob and Carol here');
  });

  test('counts the rest beyond two names', () => {
    assert.equal(presenceText(people('Me', 'Alice', 'Bob', 'Carol', 'Dan', 'Erin'), 'me'), 'Alice, Bob and 3 others here');
  });

  test('says when the user is alone, and nothing while nobody is known', () => {
    assert.equal(presenceText(people('Me'), 'me'), 'Only you here');
    assert.equal(presenceText([], 'me'), '');
  });
});

describe('typing', () => {
  test('names one or two typists, and no more', () => {
    assert.equal(typingText([]), '');
    assert.equal(typingText(['Alice']), 'Alice is typing…');
    assert.equal(typingText(['Alice', 'Bob']), 'Alice and Bob are typing…');
    assert.equal(typingText(['Alice', 'Bob', 'Carol']), 'Several people are typing…');
  });
});
