// Threads in the JS client's MessageStore and ChatSession (clients/js/src): replies keep their seq in the
// document's one stream (gapless as every message), the timeline shows roots, a thread shows
// its replies; opening a thread, replying, resolving and reopening, the thread list of open or
// resolved threads (clients/js/src/threads.js), live and by catch-up, against the fake API and clock.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ChatSession, THREAD_STATE } from '../../../clients/js/src/chat-session.js';
import { MessageStore, STATUS } from '../../../clients/js/src/message-store.js';
import { activityOf, anchorQuote, THREAD_FILTER, ThreadList } from '../../../clients/js/src/threads.js';
import {
  ALICE,
  apiError,
  BOB,
  CAROL,
  cursorAt,
  DOCUMENT_ID,
  FakeApi,
  FakeClock,
  FakeDocument,
  serverMessage,
  turns,
  until,
} from './fakes.mjs';

const reply = (seq, rootId, given = {}) => serverMessage(seq, { threadId: rootId, ...given });
const seqsOf = (messages) => messages.map((message) => message.seq ?? null);
const textsOf = (messages) => messages.map((message) => message.text);

describe('the store with replies', () => {
  test('a reply takes its seq in the stream, and shows in its thread, not in the timeline', () => {
    const store = new MessageStore();
    store.startFrom([serverMessage(2), serverMessage(1)]);

    store.addFromServer([reply(3, 'm1'), serverMessage(4), reply(5, 'm2')]);

    assert.deepEqual(seqsOf(store.ordered), [1, 2, 4]);
    assert.deepEqual(seqsOf(store.repliesOf('m1')), [3]);
    assert.deepEqual(seqsOf(store.repliesOf('m2')), [5]);
    assert.equal(store.contiguousSeq, 5);
    assert.equal(store.incomplete, false);
  });

  test('a reply ahead of a missing message waits for it, the thread showing no gap', () => {
    const store = new MessageStore();
    store.startFrom([serverMessage(1)]);

    store.addFromServer([reply(4, 'm1')]);
    store.addFromServer([reply(2, 'm1')]);
    assert.deepEqual(seqsOf(store.repliesOf('m1')), [2]);
    assert.equal(store.heldCount, 1);
    assert.equal(store.incomplete, true);

    // The missing one was a root: it goes to the timeline, and the held reply follows.
    store.addFromServer([serverMessage(3)]);
    assert.deepEqual(seqsOf(store.ordered), [1, 3]);
    assert.deepEqual(seqsOf(store.repliesOf('m1')), [2, 4]);
    assert.equal(store.contiguousSeq, 4);
  });

  test('history pages are roots only: the seqs between them are replies, not gaps', () => {
    const store = new MessageStore();
    store.startFrom([serverMessage(9), serverMessage(6), serverMessage(5)]);
    assert.deepEqual(seqsOf(store.ordered), [5, 6, 9]);
    assert.equal(store.contiguousSeq, 9);
    assert.equal(store.incomplete, false);

    store.addOlder([serverMessage(3), serverMessage(1)]);
    assert.deepEqual(seqsOf(store.ordered), [1, 3, 5, 6, 9]);
    store.addFromServer([serverMessage(10)]);
    assert.deepEqual(seqsOf(store.ordered), [1, 3, 5, 6, 9, 10]);
  });

  test('a thread page brings replies and roots from before, and never undoes a later change', () => {
    const store = new MessageStore();
    store.startFrom([serverMessage(6), serverMessage(5)]);
    // Live, before the thread page came: reply 3 was edited (position 8).
    store.addFromServer([reply(3, 'm1', { text: 'edited', position: 8 })]);

    store.addThread([serverMessage(1, { position: 7 }), reply(2, 'm1'), reply(3, 'm1'), reply(4, 'm1')]);

    assert.deepEqual(textsOf(store.repliesOf('m1')), ['message 2', 'edited', 'message 4']);
    // The root is older than the timeline: kept (the panel shows it), not in the timeline.
    assert.equal(store.get('m1')?.seq, 1);
    assert.deepEqual(seqsOf(store.ordered), [5, 6]);
    assert.deepEqual(seqsOf(store.roots).sort(), [1, 5, 6]);
    // The page took no part in the stream's order.
    assert.equal(store.contiguousSeq, 6);
    assert.equal(store.catchUpCursor, cursorAt(6));
  });

  test('a change to a root older than the timeline is kept for the thread list, not shown in it', () => {
    const store = new MessageStore();
    store.startFrom([serverMessage(8), serverMessage(7)]);
    const summary = { replyCount: 1, resolved: false, participants: [BOB], lastReplyAt: null };
    store.addFromServer([serverMessage(9, { threadId: 'm2' }), serverMessage(2, { position: 10, thread: summary })]);
    assert.deepEqual(seqsOf(store.ordered), [7, 8]);
    assert.deepEqual(store.get('m2')?.thread, summary);
  });

  test('our reply shows in its thread while it is sent, then as the server has it', () => {
    const store = new MessageStore();
    store.startFrom([serverMessage(1)]);
    const ours = { id: 'r1', documentId: DOCUMENT_ID, senderId: ALICE.id, senderName: ALICE.name, text: 'on it', createdAt: '2024-05-01T10:01:00.000Z', threadId: 'm1' };
    store.addPending(ours);
    assert.deepEqual(seqsOf(store.ordered), [1]);
    assert.deepEqual(store.repliesOf('m1').map((message) => message.status), [STATUS.PENDING]);

    store.addFromServer([reply(2, 'm1', { id: 'r1', text: 'on it' })]);
    assert.deepEqual(store.repliesOf('m1').map((message) => [message.seq, message.status]), [[2, STATUS.SENT]]);
  });
});

describe('the thread list', () => {
  const thread = (seq, { resolved = false, lastReplyAt = null, resolvedAt = null } = {}) =>
    serverMessage(seq, { thread: { replyCount: 1, participants: [], lastReplyAt, resolved, resolvedBy: null, resolvedAt } });

  test('shows roots with replies, a resolution or an anchor, by the filter, latest activity first', () => {
    const list = new ThreadList();
    const plain = serverMessage(1);
    const anchored = serverMessage(2, { anchor: { kind: 'text', from: 1, to: 4, quote: 'Week 3' } });
    const busy = thread(3, { lastReplyAt: '2024-05-02T10:00:00.000Z' });
    const settled = thread(4, { resolved: true, resolvedAt: '2024-05-03T10:00:00.000Z' });
    const reply = serverMessage(5, { threadId: 'm3' });
    list.start(THREAD_FILTER.OPEN);
    assert.deepEqual(list.shown([plain, anchored, busy, settled, reply]), [], 'nothing before the first page');

    // Open, its replies all deleted: listed no more (as the threads route).
    const emptied = serverMessage(6, { thread: { replyCount: 0, participants: [], resolved: false } });
    list.addPage([busy, anchored], null);
    assert.deepEqual(seqsOf(list.shown([plain, anchored, busy, settled, reply, emptied])), [3, 2]);
    list.start(THREAD_FILTER.RESOLVED);
    list.addPage([settled], null);
    assert.deepEqual(seqsOf(list.shown([plain, anchored, busy, settled, reply])), [4]);
  });

  test('while pages remain, shows no thread older than the oldest listed', () => {
    const list = new ThreadList();
    const newest = thread(5, { lastReplyAt: '2024-05-05T00:00:00.000Z' });
    const listed = thread(3, { lastReplyAt: '2024-05-03T00:00:00.000Z' });
    const older = thread(1, { lastReplyAt: '2024-05-01T00:00:00.000Z' });
    list.start(THREAD_FILTER.OPEN);
    list.addPage([listed], 'next');
    // `newest` changed after the page came: it shows; `older` would skip the next page's.
    assert.deepEqual(seqsOf(list.shown([newest, listed, older])), [5, 3]);
    assert.equal(list.hasMore, true);
    list.addPage([older], null);
    assert.deepEqual(seqsOf(list.shown([newest, listed, older])), [5, 3, 1]);
  });

  test("activity is the root's stream position, the threads route's order; a quote only a string", () => {
    // A reply, a resolution or an edit moves the root on: its position is its latest change.
    assert.equal(activityOf(thread(1, { lastReplyAt: '2024-06-01T00:00:00.000Z' })), 1);
    assert.equal(activityOf(serverMessage(1, { position: 9 })), 9);
    assert.equal(anchorQuote(serverMessage(1, { anchor: { quote: 'the text' } })), 'the text');
    for (const anchor of [undefined, null, [], { quote: 12 }, { quote: '  ' }, { kind: 'cell' }]) {
      assert.equal(anchorQuote(serverMessage(1, { anchor })), null, JSON.stringify(anchor));
    }
  });
});

/** A live session on `document`, with what it told the page. */
async function liveSession(document) {
  const api = new FakeApi(document);
  const clock = new FakeClock();
  const notices = [];
  const session = new ChatSession({
    documentId: DOCUMENT_ID,
    api,
    user: ALICE,
    clock,
    onChange: () => {},
    onNotice: (notice) => notices.push(notice),
  });
  await session.sync('connection-1');
  return { session, api, clock, notices, document };
}

/** Waits until the session has every message of the document's stream and asks for nothing more. */
async function settled({ session, api, document }) {
  await until(
    () => api.idle && !session.store.incomplete && session.store.contiguousSeq === document.messages.length,
    'the session has every message with nothing missing',
  );
  await turns();
  assert.ok(api.idle, 'a request started after the session had settled');
}

describe('a session with threads', () => {
  test('opening a thread loads all its pages once; its root shows its summary', async () => {
    const document = new FakeDocument({ pageSize: 2 });
    const root = document.store('Can QA start in week 3?');
    for (const [text, who] of [['Yes', CAROL], ['Maybe', BOB], ['Agreed', CAROL]]) document.reply(root.id, text, who);
    const { session, api } = await liveSession(document);

    await session.openThread(root.id);
    await session.openThread(root.id);

    assert.deepEqual(api.callsOf('thread'), [
      [DOCUMENT_ID, root.id, null],
      [DOCUMENT_ID, root.id, '2'],
    ]);
    assert.equal(session.threadState(root.id), THREAD_STATE.LOADED);
    assert.deepEqual(textsOf(session.store.repliesOf(root.id)), ['Yes', 'Maybe', 'Agreed']);
    assert.deepEqual(textsOf(session.store.ordered), ['Can QA start in week 3?']);
    const { thread } = session.store.get(root.id);
    assert.equal(thread.replyCount, 3);
    assert.deepEqual(thread.participants, [CAROL, BOB]);
  });

  test('a thread that failed to load says so, and opening it again tries again', async () => {
    const document = new FakeDocument();
    const root = document.store('Root');
    const { session, api, notices } = await liveSession(document);
    api.fail('thread', new Error('offline'));

    await session.openThread(root.id);
    assert.equal(session.threadState(root.id), THREAD_STATE.FAILED);
    assert.equal(notices.at(-1), "Couldn't load the thread: offline");

    await session.openThread(root.id);
    assert.equal(session.threadState(root.id), THREAD_STATE.LOADED);
  });

  test('a reply is sent with replyTo, shows in its thread, and the root takes its new summary', async () => {
    const document = new FakeDocument();
    const root = document.store('Root');
    const { session, api } = await liveSession(document);
    await session.openThread(root.id);

    session.reply(root.id, 'First!');
    assert.deepEqual(session.store.repliesOf(root.id).map((message) => message.status), [STATUS.PENDING]);
    await until(() => api.idle, 'the reply is answered');

    const [[, sent]] = api.callsOf('sendMessage');
    assert.equal(sent.replyTo, root.id);
    assert.deepEqual(
      session.store.repliesOf(root.id).map((message) => [message.text, message.status, message.threadId]),
      [['First!', STATUS.SENT, root.id]],
    );
    // The root's new summary comes live (messageUpdated); it was stored right after the reply.
    session.receiveChange(document.get(root.id));
    await settled({ session, api, document });
    assert.equal(session.store.get(root.id).thread.replyCount, 1);
    assert.deepEqual(textsOf(session.store.ordered), ['Root']);
  });

  test('replies pushed with one missing are caught up: each once, in order, none in the timeline', async () => {
    const document = new FakeDocument({ pageSize: 10 });
    const root = document.store('Root');
    const opened = await liveSession(document);
    const { session, api } = opened;
    await session.openThread(root.id);

    const replies = ['a', 'b', 'c', 'd'].map((text) => document.reply(root.id, text, BOB));
    // b's push is lost; the root's summaries after each reply are not pushed either.
    for (const message of [replies[0], replies[2], replies[3]]) session.receive(message);
    assert.deepEqual(textsOf(session.store.repliesOf(root.id)), ['a']);

    await settled(opened);
    assert.deepEqual(textsOf(session.store.repliesOf(root.id)), ['a', 'b', 'c', 'd']);
    assert.equal(api.callsOf('messagesAfter').length, 1);
    assert.equal(session.store.get(root.id).thread.replyCount, 4);
    assert.deepEqual(textsOf(session.store.ordered), ['Root']);
  });

  test('away while replies, edits, deletions and a resolution happen: the catch-up brings them all', async () => {
    const document = new FakeDocument();
    const root = document.store('Root');
    const first = document.reply(root.id, 'first', BOB);
    const opened = await liveSession(document);
    const { session } = opened;
    await session.openThread(root.id);
    session.detach();

    const second = document.reply(root.id, 'second', CAROL);
    document.reply(second.id, 'a reply to a reply joins the root', BOB);
    document.edit(first.id, 'first, edited');
    document.delete(second.id);
    document.resolve(root.id, true, CAROL);
    document.store('Meanwhile, a new root');

    await session.sync('connection-2');
    await settled(opened);

    assert.deepEqual(textsOf(session.store.repliesOf(root.id)), ['first, edited', undefined, 'a reply to a reply joins the root']);
    assert.equal(session.store.repliesOf(root.id)[1].deleted, true);
    const { thread } = session.store.get(root.id);
    assert.deepEqual([thread.replyCount, thread.resolved, thread.resolvedBy], [2, true, CAROL]);
    assert.deepEqual(textsOf(session.store.ordered), ['Root', 'Meanwhile, a new root']);
  });

  test('opened where the newest messages are replies, the first push does not leave a gap waiting', async () => {
    const document = new FakeDocument();
    const root = document.store('Root');
    document.reply(root.id, 'r1', BOB);
    document.reply(root.id, 'r2', BOB);
    const opened = await liveSession(document);
    const { session, api } = opened;
    // The timeline is roots only: the page's newest is seq 1; 2 and 3 are replies.
    assert.equal(session.store.contiguousSeq, 1);

    session.receive(document.store('Next root'));
    await settled(opened);

    assert.deepEqual(textsOf(session.store.ordered), ['Root', 'Next root']);
    assert.equal(api.callsOf('messagesAfter').length, 1);
  });

  test('resolving and reopening answer the root as it is now; the lists follow at once', async () => {
    const document = new FakeDocument();
    const root = document.store('Root');
    document.reply(root.id, 'reply', BOB);
    const other = document.store('Other', { anchor: { kind: 'text', from: 1, to: 9, quote: 'the plan' } });
    const { session, api } = await liveSession(document);
    await session.loadThreads(THREAD_FILTER.OPEN);
    assert.deepEqual(session.threads.map((message) => message.id), [other.id, root.id]);

    await session.resolve(root.id, true);
    assert.deepEqual(api.callsOf('setResolved'), [[DOCUMENT_ID, root.id, true]]);
    const { thread } = session.store.get(root.id);
    assert.deepEqual([thread.resolved, thread.resolvedBy, thread.replyCount], [true, ALICE, 1]);
    assert.deepEqual(session.threads.map((message) => message.id), [other.id]);

    await session.loadThreads(THREAD_FILTER.RESOLVED);
    assert.deepEqual(api.callsOf('threads').at(-1), [DOCUMENT_ID, true, null]);
    assert.deepEqual(session.threads.map((message) => message.id), [root.id]);

    await session.resolve(root.id, false);
    assert.equal(session.store.get(root.id).thread.resolved, false);
    assert.deepEqual(session.threads, []);
  });

  test('the list pages on, takes threads that start live, and drops a page of an earlier filter', async () => {
    const document = new FakeDocument({ pageSize: 2 });
    const roots = ['one', 'two', 'three'].map((text) => document.store(text));
    for (const root of roots) document.reply(root.id, `re: ${root.text}`, BOB);
    const opened = await liveSession(document);
    const { session, api } = opened;

    await session.loadThreads(THREAD_FILTER.OPEN);
    assert.deepEqual(textsOf(session.threads), ['three', 'two']);
    assert.equal(session.threadList.hasMore, true);
    await session.loadMoreThreads();
    assert.deepEqual(textsOf(session.threads), ['three', 'two', 'one']);
    assert.equal(session.threadList.hasMore, false);

    // A new anchored root is a thread at once; a new reply brings its root's thread to the top.
    const anchored = document.store('Look here', { anchor: { quote: 'here' } });
    session.receive(anchored);
    const late = document.reply(roots[0].id, 'late reply', CAROL);
    session.receive(late);
    session.receiveChange(document.get(roots[0].id));
    await settled(opened);
    // The fake's replies all share one clock; by activity 'one' and the anchored root lead.
    assert.deepEqual(new Set(textsOf(session.threads.slice(0, 2))), new Set(['one', 'Look here']));
    assert.equal(session.threads.length, 4);

    // Switched to resolved while the open list's page is on its way: that page is dropped.
    const page = api.hold('threads');
    const stale = session.loadThreads(THREAD_FILTER.OPEN);
    await page.reached;
    const resolved = session.loadThreads(THREAD_FILTER.RESOLVED);
    page.release();
    await Promise.all([stale, resolved]);
    assert.equal(session.threadList.filter, THREAD_FILTER.RESOLVED);
    assert.deepEqual(session.threads, []);
    assert.equal(session.threadList.loading, false);
  });

  test('a reply that fails to send shows as failed in its thread and is sent again on retry', async () => {
    const document = new FakeDocument();
    const root = document.store('Root');
    const { session, api } = await liveSession(document);
    api.fail('sendMessage', apiError(400));

    session.reply(root.id, 'try me');
    await until(() => session.store.repliesOf(root.id)[0]?.status === STATUS.FAILED, 'the reply failed');
    session.retry(session.store.repliesOf(root.id)[0].id);
    await until(() => session.store.repliesOf(root.id)[0]?.status === STATUS.SENT, 'the reply was sent');

    const sends = api.callsOf('sendMessage').map(([, message]) => message);
    assert.equal(sends.length, 2);
    assert.ok(sends.every((message) => message.replyTo === root.id && message.id === sends[0].id));
    assert.equal(document.get(root.id).thread.replyCount, 1);
  });
});
