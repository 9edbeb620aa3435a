// The JS client's ChatSession (clients/js/src/chat-session.js) against a fake API and clock: syncing on
// each connection, filling gaps that live pushes show, catching up while edits, deletions and
// reactions keep coming, sending in order with retries, and the rules around them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ApiError } from '../../../clients/js/src/api.js';
import { ChatSession, SYNC_STATE } from '../../../clients/js/src/chat-session.js';
import { STATUS } from '../../../clients/js/src/message-store.js';
import {
  ALICE,
  apiError,
  BOB,
  cursorAt,
  DOCUMENT_ID,
  FakeApi,
  FakeClock,
  FakeDocument,
  turns,
  until,
} from './fakes.mjs';

/** A session on a fresh document (or `document`), with what it told the page. */
function openSession({ document = new FakeDocument(), user = ALICE } = {}) {
  const api = new FakeApi(document);
  const clock = new FakeClock();
  const notices = [];
  const unknownConnections = [];
  const session = new ChatSession({
    documentId: DOCUMENT_ID,
    api,
    user,
    clock,
    onChange: () => {},
    onNotice: (notice) => notices.push(notice),
    onUnknownConnection: (connectionId) => unknownConnections.push(connectionId),
  });
  api.announceTo = (event) => session.receivePresence(event);
  return { session, document, api, clock, notices, unknownConnections };
}

const seqsOf = (session) => session.store.ordered.map((message) => message.seq ?? null);

/** Waits until the session has all the server has and asks for nothing more. */
async function settled({ session, api, document }) {
  const newest = () => document.messages.at(-1)?.seq ?? 0;
  await until(
    () => api.idle && !session.store.incomplete && session.store.contiguousSeq === newest(),
    'the session shows the newest message with nothing missing',
  );
  // Nothing new may start once it has settled.
  await turns();
  assert.ok(api.idle, 'a request started after the session had settled');
}

describe('sync', () => {
  test('joins, reads the read marker and loads the newest page, then is live; the join announces who is here', async () => {
    const opened = openSession();
    const { session, api, document, notices } = opened;
    document.storeMany(5);
    api.readSeq = 4;

    await session.sync('connection-1');
    await settled(opened);

    // No presence request: the join's own announcement named everyone, at no cost that grows with the room.
    assert.deepEqual(
      api.calls.map(([method]) => method),
      ['join', 'readStatus', 'history'],
    );
    assert.deepEqual(api.callsOf('join'), [[DOCUMENT_ID, 'connection-1']]);
    assert.equal(session.syncState, SYNC_STATE.LIVE);
    // The newest page (3 here) and a token to page back with.
    assert.deepEqual(seqsOf(session), [3, 4, 5]);
    assert.equal(session.hasOlder, true);
    assert.equal(session.read.dividerAfter, 4);
    assert.deepEqual(session.presence.users, [ALICE]);
    assert.deepEqual(notices, [null]);
  });

  test('without the join\'s announcement (its send failed), asks who is here 3 s after the join', async () => {
    const opened = openSession();
    const { session, api, clock } = opened;
    api.announceTo = null;
    api.presentUsers = [ALICE, BOB];

    await session.sync('connection-1');
    assert.deepEqual(api.callsOf('presence'), []);
    await until(() => api.callsOf('presence').length === 1, 'who is here is asked for');

    assert.ok(clock.sleeps.includes(3000), `waited ${clock.sleeps}`);
    await until(() => api.idle, 'the answer is in');
    assert.deepEqual(session.presence.users, [ALICE, BOB]);
  });

  test('without a connection loads the same and who is here, but stays offline, joining nothing', async () => {
    const { session, api, document } = openSession();
    document.storeMany(2);

    await session.sync(null);

    assert.deepEqual(api.callsOf('join'), []);
    assert.deepEqual(api.callsOf('presence'), [[DOCUMENT_ID]]);
    assert.deepEqual(seqsOf(session), [1, 2]);
    assert.equal(session.syncState, SYNC_STATE.OFFLINE);
  });

  test('on a new connection catches up after the last whole position, page by page', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    document.storeMany(2);
    await session.sync('connection-1');
    session.detach();
    assert.equal(session.syncState, SYNC_STATE.OFFLINE);

    // Missed while away: four new messages and an edit.
    document.storeMany(4);
    document.edit('m1', 'edited');

    await session.sync('connection-2');

    assert.deepEqual(api.callsOf('messagesAfter'), [
      [DOCUMENT_ID, cursorAt(2)],
      [DOCUMENT_ID, cursorAt(5)],
    ]);
    // The read marker is read once, when the document opens.
    assert.equal(api.callsOf('readStatus').length, 1);
    assert.equal(api.callsOf('history').length, 1);
    assert.deepEqual(seqsOf(session), [1, 2, 3, 4, 5, 6]);
    assert.equal(session.store.get('m1').text, 'edited');
    assert.equal(session.store.catchUpCursor, cursorAt(7));
    assert.equal(session.syncState, SYNC_STATE.LIVE);
  });

  test('catches up from an empty start by reading all of history, oldest pages included', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    await session.sync('connection-1');
    assert.equal(session.store.catchUpCursor, null);

    document.storeMany(7);
    await session.sync('connection-2');

    // No cursor before the first message: history, newest first, back to the start.
    assert.deepEqual(api.callsOf('history'), [
      [DOCUMENT_ID, null],
      [DOCUMENT_ID, null],
      [DOCUMENT_ID, '5'],
      [DOCUMENT_ID, '2'],
    ]);
    assert.deepEqual(api.callsOf('messagesAfter'), []);
    assert.deepEqual(seqsOf(session), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(session.store.catchUpCursor, cursorAt(7));
  });

  test('stops paging at an empty catch-up page, even one with a token', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    document.storeMany(1);
    await session.sync('connection-1');
    document.after = () => ({ items: [], continuationToken: cursorAt(1) });

    await session.sync('connection-2');

    assert.equal(api.callsOf('messagesAfter').length, 1);
    assert.equal(session.syncState, SYNC_STATE.LIVE);
  });

  test('tries again while the failure may pass, and says so', async () => {
    const opened = openSession();
    const { session, api, document, notices, clock } = opened;
    document.storeMany(1);
    api.fail('history', apiError(503), new ApiError(0, 'network_error', 'Cannot reach docchat'));

    await session.sync('connection-1');

    assert.deepEqual(notices, [
      "Couldn't update this document: failed with 503. Retrying…",
      "Couldn't update this document: Cannot reach docchat. Retrying…",
      null,
    ]);
    assert.equal(api.callsOf('history').length, 3);
    // Backing off: no wait before the first try, about 1 s then 2 s (±20%) before the next.
    assert.equal(clock.sleeps[0], 0);
    assert.ok(clock.sleeps[1] >= 800 && clock.sleeps[1] <= 1200, `waited ${clock.sleeps[1]}`);
    assert.ok(clock.sleeps[2] >= 1600 && clock.sleeps[2] <= 2400, `waited ${clock.sleeps[2]}`);
    assert.deepEqual(seqsOf(session), [1]);
    assert.equal(session.syncState, SYNC_STATE.LIVE);
  });

  test('gives up on a failure that will not pass, and says so', async () => {
    const opened = openSession();
    const { session, api, notices } = opened;
    api.fail('join', apiError(403, { code: 'forbidden' }));

    await session.sync('connection-1');

    assert.deepEqual(notices, ["Couldn't open this document: failed with 403"]);
    assert.equal(api.callsOf('join').length, 1);
    assert.equal(session.syncState, SYNC_STATE.OFFLINE);
    assert.equal(session.store.started, false);
  });

  test('asks for a new connection once its join stays not-yet-known for over 3 s', async () => {
    const opened = openSession();
    const { session, api, clock, unknownConnections } = opened;
    const notYetKnown = () => apiError(503, { code: 'connection_not_yet_known' });
    api.fail('join', ...Array.from({ length: 20 }, notYetKnown));

    await session.sync('connection-1');

    assert.deepEqual(unknownConnections, ['connection-1']);
    // Soon (0.2, 0.4, 0.8 s, then every 0.8 s, ±20%), not the usual back-off.
    const waits = clock.sleeps.slice(1);
    assert.ok(waits[0] >= 160 && waits[0] <= 240, `first wait ${waits[0]}`);
    assert.ok(waits[1] >= 320 && waits[1] <= 480, `second wait ${waits[1]}`);
    assert.ok(waits.slice(2).every((ms) => ms >= 640 && ms <= 960), `later waits ${waits}`);
    // It gave up once the time passed 3 s, not sooner, not much later.
    const waited = waits.reduce((sum, ms) => sum + ms, 0);
    assert.ok(waited > 3000 - 960 && waited < 3000 + 960, `gave up after ${waited} ms`);
    assert.ok(api.callsOf('join').length >= 5);
    assert.equal(session.store.started, false);
  });

  test('one that the connection outlived neither goes live nor keeps the entry fresh', async () => {
    const opened = openSession();
    const { session, api, clock, notices } = opened;
    const join = api.hold('join');
    const syncing = session.sync('connection-1');
    await join.reached;

    session.detach();
    join.release();
    await syncing;

    assert.equal(session.syncState, SYNC_STATE.OFFLINE);
    assert.deepEqual(clock.repeating, []);
    assert.deepEqual(notices, []);
  });

  test('one that a newer sync superseded neither reports its failure nor tries again', async () => {
    const opened = openSession();
    const { session, api, notices } = opened;
    api.fail('join', apiError(503));
    const join = api.hold('join');
    const first = session.sync('connection-1');
    await join.reached;

    await session.sync('connection-2');
    join.release();
    await first;

    assert.deepEqual(api.callsOf('join'), [
      [DOCUMENT_ID, 'connection-1'],
      [DOCUMENT_ID, 'connection-2'],
    ]);
    assert.deepEqual(notices, [null]);
    assert.equal(session.syncState, SYNC_STATE.LIVE);
  });

  test('closed while its join was on the way, it leaves again', async () => {
    const opened = openSession();
    const { session, api } = opened;
    const join = api.hold('join');
    const syncing = session.sync('connection-1');
    await join.reached;

    const closing = session.close('connection-1');
    join.release();
    await Promise.all([syncing, closing]);

    // close() left at once, and the sync left again after its join: the join may have come last.
    assert.deepEqual(api.callsOf('leave'), [
      [DOCUMENT_ID, 'connection-1'],
      [DOCUMENT_ID, 'connection-1'],
    ]);
    assert.equal(session.store.started, false);
  });

  test('keeps the presence entry fresh while live, every 5 minutes, and stops when not', async () => {
    const opened = openSession();
    const { session, api, clock } = opened;
    await session.sync('connection-1');
    assert.deepEqual(clock.repeating, [5 * 60 * 1000]);

    clock.repeat();
    await until(() => api.idle, 'the refresh is answered');
    assert.deepEqual(api.callsOf('join'), [
      [DOCUMENT_ID, 'connection-1'],
      [DOCUMENT_ID, 'connection-1'],
    ]);

    session.detach();
    assert.deepEqual(clock.repeating, []);
    await session.sync('connection-2');
    assert.deepEqual(clock.repeating, [5 * 60 * 1000]);
    await session.close('connection-2');
    assert.deepEqual(clock.repeating, []);
  });
});

describe('filling gaps', () => {
  test('a push ahead of a missing message fetches what is missing, from the last whole position', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    document.storeMany(1);
    await session.sync('connection-1');

    // Two are stored; only the second is pushed.
    const [, third] = document.storeMany(2);
    session.receive(third);
    assert.deepEqual(seqsOf(session), [1]);

    await settled(opened);
    assert.deepEqual(api.callsOf('messagesAfter'), [[DOCUMENT_ID, cursorAt(1)]]);
    assert.deepEqual(seqsOf(session), [1, 2, 3]);
  });

  test('pushes in order need no catch-up', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    await session.sync('connection-1');
    for (const message of document.storeMany(3)) session.receive(message);
    await settled(opened);
    assert.deepEqual(api.callsOf('messagesAfter'), []);
    assert.deepEqual(seqsOf(session), [1, 2, 3]);
  });

  test('one fill runs at a time, however many pushes show the gap', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    document.storeMany(1);
    await session.sync('connection-1');
    const catchUp = api.hold('messagesAfter');

    const [, ...pushed] = document.storeMany(4);
    session.receive(pushed[0]);
    await catchUp.reached;
    for (const message of pushed.slice(1)) session.receive(message);
    catchUp.release();

    await settled(opened);
    assert.equal(api.mostAtOnce.get('messagesAfter'), 1);
    assert.deepEqual(seqsOf(session), [1, 2, 3, 4, 5]);
  });

  test('a failed catch-up is tried again, backing off', async () => {
    const opened = openSession();
    const { session, api, document, clock } = opened;
    document.storeMany(1);
    await session.sync('connection-1');
    api.fail('messagesAfter', apiError(503), apiError(503));
    const sleepsBefore = clock.sleeps.length;

    const [, third] = document.storeMany(2);
    session.receive(third);

    await settled(opened);
    assert.equal(api.callsOf('messagesAfter').length, 3);
    const waits = clock.sleeps.slice(sleepsBefore);
    assert.equal(waits[0], 0);
    assert.ok(waits[1] >= 800 && waits[1] <= 1200, `waited ${waits[1]}`);
    assert.ok(waits[2] >= 1600 && waits[2] <= 2400, `waited ${waits[2]}`);
    assert.deepEqual(seqsOf(session), [1, 2, 3]);
  });

  test('none runs while not live', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    document.storeMany(1);
    await session.sync('connection-1');
    session.detach();

    const [, third] = document.storeMany(2);
    session.receive(third);

    await turns();
    assert.deepEqual(api.callsOf('messagesAfter'), []);
    assert.equal(session.store.incomplete, true);
  });

  test('one backing off stops when the connection goes', async () => {
    const opened = openSession();
    const { session, api, document, clock } = opened;
    document.storeMany(1);
    await session.sync('connection-1');
    api.fail('messagesAfter', apiError(503));
    const firstWait = clock.hold();

    const [, third] = document.storeMany(2);
    session.receive(third);
    await firstWait.reached;
    const backingOff = clock.hold();
    firstWait.release();
    await backingOff.reached;
    session.detach();
    backingOff.release();

    await turns();
    assert.equal(api.callsOf('messagesAfter').length, 1);
    assert.deepEqual(seqsOf(session), [1]);
  });

  test('an event for another document is ignored', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    await session.sync('connection-1');
    const [message] = document.storeMany(1);
    session.receive({ ...message, documentId: 'another' });
    session.receiveChange({ ...message, documentId: 'another' });
    session.receive(null);
    assert.deepEqual(seqsOf(session), []);
    assert.equal(api.calls.length, 3);
  });

  test('waits for no message that expired: shows what is left', async () => {
    const document = new FakeDocument();
    document.storeMany(2);
    document.expired = 2;
    const opened = openSession({ document });
    const { session } = opened;
    await session.sync('connection-1');
    assert.equal(session.store.contiguousSeq, 0);

    // Seq 3 is pushed: below it a gap no catch-up can fill.
    const [third] = document.storeMany(1);
    session.receive(third);

    await settled(opened);
    assert.deepEqual(seqsOf(session), [3]);
  });
});

describe('catching up while changes keep coming', () => {
  /** A session live on `count` messages that then lost its connection. */
  async function awayAfter(count) {
    const opened = openSession();
    opened.document.storeMany(count);
    await opened.session.sync('connection-1');
    opened.session.detach();
    return opened;
  }

  test('a push that overtakes the catch-up waits for a message stored after the catch-up read', async () => {
    const opened = await awayAfter(3);
    const { session, api, document } = opened;
    document.storeMany(1);
    const catchUp = api.hold('messagesAfter');
    const syncing = session.sync('connection-2');
    await catchUp.reached;

    // Stored after the catch-up read the stream; only 6 is pushed (5's push was lost).
    const [, sixth] = document.storeMany(2);
    session.receive(sixth);
    catchUp.release();
    await syncing;

    // The catch-up brought 4; 6 still waits for 5, which is not gone, only newer than the read.
    await settled(opened);
    assert.deepEqual(api.callsOf('messagesAfter'), [
      [DOCUMENT_ID, cursorAt(3)],
      [DOCUMENT_ID, cursorAt(4)],
    ]);
    assert.deepEqual(seqsOf(session), [1, 2, 3, 4, 5, 6]);
    assert.equal(new Set(session.store.ordered.map((message) => message.id)).size, 6);
  });

  test('edits, deletions and reactions pushed during the catch-up outlast its older copies', async () => {
    const opened = await awayAfter(3);
    const { session, api, document } = opened;
    document.edit('m2', 'first edit');
    const catchUp = api.hold('messagesAfter');
    const syncing = session.sync('connection-2');
    await catchUp.reached;

    // Pushed while the catch-up's answer (with "first edit") is on its way.
    session.receiveChange(document.edit('m2', 'second edit'));
    session.receiveChange(document.delete('m1'));
    session.receiveReactions(document.react('m3', '👍', BOB.id));
    catchUp.release();
    await syncing;

    await settled(opened);
    assert.equal(session.store.get('m2').text, 'second edit');
    assert.equal(session.store.get('m1').deleted, true);
    assert.deepEqual(session.store.get('m3').reactions, { '👍': [BOB.id] });
    assert.equal(session.store.get('m3').text, 'message 3');
    // The pushes filled the stream up to its end: nothing more to fetch.
    assert.equal(session.store.catchUpCursor, cursorAt(7));
    assert.equal(api.callsOf('messagesAfter').length, 1);
  });

  test('a change missed during the catch-up is fetched, as the changes after it show it missing', async () => {
    const opened = await awayAfter(3);
    const { session, api, document } = opened;
    const catchUp = api.hold('messagesAfter');
    const syncing = session.sync('connection-2');
    await catchUp.reached;

    document.edit('m1', 'edit whose push was lost');
    session.receiveChange(document.edit('m2', 'edit pushed'));
    catchUp.release();
    await syncing;

    await until(() => api.idle && !session.store.incomplete, 'the missed change is fetched');
    assert.equal(session.store.get('m1').text, 'edit whose push was lost');
    assert.equal(session.store.get('m2').text, 'edit pushed');
    assert.deepEqual(api.callsOf('messagesAfter').at(-1), [DOCUMENT_ID, cursorAt(3)]);
  });

  test('a message that comes by push, by catch-up and as a send reply shows once', async () => {
    const opened = await awayAfter(1);
    const { session, api, document } = opened;
    const catchUp = api.hold('messagesAfter');
    const syncing = session.sync('connection-2');
    await catchUp.reached;
    session.send('hello');
    await until(() => document.messages.length === 2, 'the send is stored');
    session.receive(document.get(document.messages[1].id));
    catchUp.release();
    await syncing;

    await settled(opened);
    assert.deepEqual(
      session.store.ordered.map((message) => [message.seq, message.text, message.status]),
      [
        [1, 'message 1', STATUS.SENT],
        [2, 'hello', STATUS.SENT],
      ],
    );
  });
});

describe('sending', () => {
  test('shows ours at once, then sends one at a time in the order typed', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    await session.sync('connection-1');
    const first = api.hold('sendMessage');

    session.send('one');
    session.send('two');
    session.send('three');
    await first.reached;
    assert.deepEqual(
      session.store.ordered.map((message) => [message.text, message.status, message.senderId]),
      [
        ['one', STATUS.PENDING, ALICE.id],
        ['two', STATUS.PENDING, ALICE.id],
        ['three', STATUS.PENDING, ALICE.id],
      ],
    );
    assert.equal(api.callsOf('sendMessage').length, 1);
    first.release();

    await settled(opened);
    assert.equal(api.mostAtOnce.get('sendMessage'), 1);
    assert.deepEqual(
      session.store.ordered.map((message) => [message.seq, message.text, message.status]),
      [
        [1, 'one', STATUS.SENT],
        [2, 'two', STATUS.SENT],
        [3, 'three', STATUS.SENT],
      ],
    );
    assert.deepEqual(
      document.messages.map((message) => message.text),
      ['one', 'two', 'three'],
    );
  });

  test('retries what may pass with the same id, up to 4 times, then shows it failed', async () => {
    const opened = openSession();
    const { session, api } = opened;
    await session.sync('connection-1');
    api.fail('sendMessage', ...Array.from({ length: 5 }, () => apiError(503)));

    session.send('hello');
    await until(() => session.store.ordered[0]?.status === STATUS.FAILED, 'the send fails');

    const sent = api.callsOf('sendMessage');
    assert.equal(sent.length, 5);
    assert.equal(new Set(sent.map(([, { id }]) => id)).size, 1);
    assert.equal(session.store.ordered[0].reason, 'failed with 503');

    // Retried by hand, with the same id again: stored once.
    session.retry(sent[0][1].id);
    await settled(opened);
    assert.deepEqual(
      session.store.ordered.map((message) => [message.id, message.seq, message.status]),
      [[sent[0][1].id, 1, STATUS.SENT]],
    );
  });

  test('a refusal is not retried', async () => {
    const opened = openSession();
    const { session, api } = opened;
    await session.sync('connection-1');
    api.fail('sendMessage', apiError(400, { stored: false }));

    session.send('too long');
    await until(() => session.store.ordered[0]?.status === STATUS.FAILED, 'the send fails');
    await turns();
    assert.equal(api.callsOf('sendMessage').length, 1);
  });

  test('one stored but not broadcast shows as saved, and its copy comes with a catch-up', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    document.storeMany(1);
    await session.sync('connection-1');
    const catchUp = api.hold('messagesAfter');
    api.fail('sendMessage', apiError(503, { stored: true }));

    session.send('saved');
    await catchUp.reached;
    assert.equal(session.store.ordered.at(-1).status, STATUS.STORED);
    catchUp.release();

    await settled(opened);
    assert.equal(api.callsOf('sendMessage').length, 1);
    assert.deepEqual(api.callsOf('messagesAfter'), [[DOCUMENT_ID, cursorAt(1)]]);
    assert.deepEqual(
      session.store.ordered.map((message) => [message.seq, message.text, message.status]),
      [
        [1, 'message 1', STATUS.SENT],
        [2, 'saved', STATUS.SENT],
      ],
    );
  });

  test('stops sending when the session closes', async () => {
    const opened = openSession();
    const { session, api } = opened;
    await session.sync('connection-1');
    const first = api.hold('sendMessage');
    session.send('one');
    session.send('two');
    await first.reached;
    await session.close('connection-1');
    first.release();
    await turns();
    assert.deepEqual(
      api.callsOf('sendMessage').map(([, { text }]) => text),
      ['one'],
    );
  });
});

describe('changing messages', () => {
  test('an edit, a deletion and a reaction show as the server answers them', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    document.storeMany(3);
    await session.sync('connection-1');

    await session.edit('m1', 'edited');
    await session.remove('m2');
    await session.react('m3', '🎉', true);

    assert.equal(session.store.get('m1').text, 'edited');
    assert.equal(session.store.get('m2').deleted, true);
    assert.deepEqual(session.store.get('m3').reactions, { '🎉': [ALICE.id] });
    assert.equal(session.store.incomplete, false);

    await session.react('m3', '🎉', false);
    assert.deepEqual(session.store.get('m3').reactions, {});
    assert.deepEqual(api.callsOf('removeReaction'), [[DOCUMENT_ID, 'm3', '🎉']]);
  });

  test('a failed change says so; one kept but not broadcast comes with a catch-up at once', async () => {
    const opened = openSession();
    const { session, api, document, notices } = opened;
    document.storeMany(2);
    await session.sync('connection-1');
    api.fail('editMessage', apiError(404), apiError(503, { stored: true }));

    await session.edit('m1', 'lost');
    await session.edit('m2', 'kept');

    assert.deepEqual(notices.slice(-2), [
      "Couldn't edit the message: failed with 404",
      "Couldn't edit the message: failed with 503",
    ]);
    assert.equal(session.store.get('m1').text, 'message 1');
    assert.equal(session.store.get('m2').text, 'kept');
    assert.deepEqual(api.callsOf('messagesAfter'), [[DOCUMENT_ID, cursorAt(2)]]);
  });
});

describe('older messages', () => {
  test('pages back one page at a time until there is none', async () => {
    const opened = openSession();
    const { session, api, document } = opened;
    document.storeMany(7);
    await session.sync('connection-1');

    const loading = session.loadOlder();
    assert.equal(session.loadingOlder, true);
    // A second ask while one is under way asks nothing more.
    await session.loadOlder();
    await loading;
    assert.equal(session.loadingOlder, false);
    assert.deepEqual(seqsOf(session), [2, 3, 4, 5, 6, 7]);

    await session.loadOlder();
    assert.deepEqual(seqsOf(session), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(session.hasOlder, false);
    await session.loadOlder();
    assert.deepEqual(api.callsOf('history'), [
      [DOCUMENT_ID, null],
      [DOCUMENT_ID, '5'],
      [DOCUMENT_ID, '2'],
    ]);
  });

  test('a failed page says so and can be asked again', async () => {
    const opened = openSession();
    const { session, api, document, notices } = opened;
    document.storeMany(4);
    await session.sync('connection-1');
    api.fail('history', apiError(503));

    await session.loadOlder();
    assert.equal(notices.at(-1), "Couldn't load older messages: failed with 503");
    assert.equal(session.hasOlder, true);
    await session.loadOlder();
    assert.deepEqual(seqsOf(session), [1, 2, 3, 4]);
  });
});

describe('presence and typing', () => {
  test('a presence event sets who is here; someone who left stops typing', async () => {
    const { session } = openSession();
    session.receiveTyping({ documentId: DOCUMENT_ID, user: BOB });
    assert.deepEqual(session.presence.typists, [BOB]);

    session.receivePresence({ documentId: DOCUMENT_ID, users: [ALICE] });
    assert.deepEqual(session.presence.users, [ALICE]);
    assert.deepEqual(session.presence.typists, []);

    session.receivePresence({ documentId: 'another', users: [BOB] });
    assert.deepEqual(session.presence.users, [ALICE]);
  });

  test("our own typing is dropped, and a typist's message ends their typing", async () => {
    const opened = openSession();
    const { session, document } = opened;
    await session.sync('connection-1');
    session.receiveTyping({ documentId: DOCUMENT_ID, user: ALICE });
    session.receiveTyping({ documentId: 'another', user: BOB });
    assert.deepEqual(session.presence.typists, []);

    session.receiveTyping({ documentId: DOCUMENT_ID, user: BOB });
    assert.deepEqual(session.presence.typists, [BOB]);
    session.receive(document.store('done typing', { sender: BOB }));
    assert.deepEqual(session.presence.typists, []);
    await session.close('connection-1');
  });

  test('a presence event during the sync wins over the older list the sync loaded', async () => {
    const opened = openSession();
    const { session, api } = opened;
    const loading = api.hold('presence');
    const syncing = session.sync(null);
    await loading.reached;
    session.receivePresence({ documentId: DOCUMENT_ID, users: [ALICE, BOB] });
    loading.release();
    await syncing;
    assert.deepEqual(session.presence.users, [ALICE, BOB]);
  });
});
