// The JS client's inbox model (clients/js/src/inbox.js) against a fake of the inbox routes: the unread
// count, live items deduplicated by id, pages newest first with "load more", marking one or
// all read, and a count read while the page changed it being read again.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Inbox, isNotification } from '../../../clients/js/src/inbox.js';
import { apiError, FakeInboxApi, notification, until } from './fakes.mjs';

function openInbox({ pageSize = 3 } = {}) {
  const api = new FakeInboxApi({ pageSize });
  const errors = [];
  let changes = 0;
  const inbox = new Inbox({ api, onChange: () => (changes += 1), onError: (message) => errors.push(message) });
  return { inbox, api, errors, changes: () => changes };
}

const idsOf = (inbox) => inbox.items.map((item) => item.id);

describe('the unread count', () => {
  test('is the server count at first, and a new live item adds one', async () => {
    const { inbox, api } = openInbox();
    api.add(notification(1));
    api.add(notification(2, { readAt: '2024-05-01T11:00:00.000Z' }));
    await inbox.refreshCount();
    assert.equal(inbox.unreadCount, 1);

    inbox.receive(api.add(notification(3)));
    assert.equal(inbox.unreadCount, 2);
    assert.deepEqual(idsOf(inbox), ['n3', 'n1']);
  });

  test('a live item that comes again counts once, and a malformed one not at all', () => {
    const { inbox } = openInbox();
    inbox.receive(notification(1));
    inbox.receive(notification(1));
    inbox.receive({ ...notification(2), kind: 'liked' });
    inbox.receive({ ...notification(3), actor: null });
    inbox.receive(null);
    assert.equal(inbox.unreadCount, 1);
    assert.deepEqual(idsOf(inbox), ['n1']);
  });

  test('a count read while a live item came is read again, not taken', async () => {
    const { inbox, api } = openInbox();
    api.add(notification(1));
    const held = api.hold('notifications');
    const reading = inbox.refreshCount();
    await held.reached;
    // Created after the server counted: the held answer says 1, yet there are 2.
    inbox.receive(api.add(notification(2)));
    held.release();
    await reading;
    assert.equal(inbox.unreadCount, 2);
    assert.equal(api.calls.filter(([method]) => method === 'notifications').length, 2);
  });

  test('a live item stored before the count was read and pushed after it counts once', async () => {
    const { inbox, api } = openInbox();
    const item = api.add(notification(1));
    await inbox.refreshCount();
    assert.equal(inbox.unreadCount, 1);
    inbox.receive(item);
    assert.equal(inbox.unreadCount, 1);
    assert.deepEqual(idsOf(inbox), ['n1']);
  });

  test('a failed read keeps the count', async () => {
    const { inbox, api } = openInbox();
    inbox.receive(notification(1));
    api.fail('notifications', apiError(503));
    await inbox.refreshCount();
    assert.equal(inbox.unreadCount, 1);
  });
});

describe('pages', () => {
  test('newest first, load more by continuationToken until there is none', async () => {
    const { inbox, api } = openInbox({ pageSize: 2 });
    for (let n = 1; n <= 5; n += 1) api.add(notification(n));
    await inbox.loadFirst();
    assert.deepEqual(idsOf(inbox), ['n5', 'n4']);
    assert.equal(inbox.hasMore, true);
    assert.equal(inbox.unreadCount, 5);

    await inbox.loadMore();
    await inbox.loadMore();
    assert.deepEqual(idsOf(inbox), ['n5', 'n4', 'n3', 'n2', 'n1']);
    assert.equal(inbox.hasMore, false);
    await inbox.loadMore();
    const tokens = api.calls.map(([, query]) => query.continuationToken);
    assert.deepEqual(tokens, [null, '2', '4']);
    assert.ok(api.calls.every(([, query]) => query.unread === false));
  });

  test('a live item already on a page, or a page with a live item, shows it once', async () => {
    const { inbox, api } = openInbox();
    api.add(notification(1));
    const live = api.add(notification(2));
    inbox.receive(live);
    await inbox.loadFirst();
    inbox.receive(live);
    assert.deepEqual(idsOf(inbox), ['n2', 'n1']);
    assert.equal(inbox.unreadCount, 2);
  });

  test('one load more at a time', async () => {
    const { inbox, api } = openInbox({ pageSize: 1 });
    for (let n = 1; n <= 3; n += 1) api.add(notification(n));
    await inbox.loadFirst();
    await Promise.all([inbox.loadMore(), inbox.loadMore()]);
    assert.deepEqual(idsOf(inbox), ['n3', 'n2']);
  });

  test('a next page that comes after the first was asked for afresh moves no token', async () => {
    const { inbox, api } = openInbox({ pageSize: 1 });
    for (let n = 1; n <= 3; n += 1) api.add(notification(n));
    await inbox.loadFirst();
    const held = api.hold('notifications');
    const more = inbox.loadMore();
    await held.reached;
    const first = inbox.loadFirst();
    held.release();
    await Promise.all([more, first]);
    assert.deepEqual(idsOf(inbox), ['n3', 'n2']);
    // The next page follows the first page's token, not the stale one's.
    await inbox.loadMore();
    assert.deepEqual(
      api.calls.map(([, query]) => query.continuationToken),
      [null, '1', null, '1'],
    );
    assert.equal(inbox.loading, false);
  });

  test('a failed page says so and can be loaded again', async () => {
    const { inbox, api, errors } = openInbox();
    api.add(notification(1));
    api.fail('notifications', apiError(500));
    await inbox.loadFirst();
    assert.equal(inbox.failed, true);
    assert.equal(errors.length, 1);
    await inbox.loadFirst();
    assert.equal(inbox.failed, false);
    assert.deepEqual(idsOf(inbox), ['n1']);
  });

  test('an empty page with a token ends the paging', async () => {
    const { inbox, api } = openInbox();
    api.notifications = async () => ({ items: [], continuationToken: 'again', unreadCount: 0 });
    await inbox.loadFirst();
    assert.equal(inbox.hasMore, false);
  });
});

describe('marking read', () => {
  test('one item: at once on the page, the count one less, the server told', async () => {
    const { inbox, api } = openInbox();
    api.add(notification(1));
    api.add(notification(2));
    await inbox.loadFirst();
    const marking = inbox.markRead('n1');
    assert.equal(inbox.unreadCount, 1);
    assert.notEqual(inbox.items.find((item) => item.id === 'n1').readAt, null);
    await marking;
    assert.equal(api.items.find((item) => item.id === 'n1').readAt, '2024-05-02T09:00:00.000Z');
    // Marking it again asks nothing more.
    await inbox.markRead('n1');
    assert.equal(api.calls.filter(([method]) => method === 'markNotificationRead').length, 1);
    assert.equal(inbox.unreadCount, 1);
  });

  test('a failed mark shows the item unread again, and says so', async () => {
    const { inbox, api, errors } = openInbox();
    api.add(notification(1));
    await inbox.loadFirst();
    api.fail('markNotificationRead', apiError(503));
    await inbox.markRead('n1');
    assert.equal(inbox.unreadCount, 1);
    assert.equal(inbox.items[0].readAt, null);
    assert.equal(errors.length, 1);
  });

  test('a page read before the mark does not make the item unread again', async () => {
    const { inbox, api } = openInbox();
    api.add(notification(1));
    await inbox.loadFirst();
    const held = api.hold('notifications');
    const reloading = inbox.loadFirst();
    await held.reached;
    await inbox.markRead('n1');
    held.release();
    await reloading;
    assert.notEqual(inbox.items[0].readAt, null);
    await until(() => api.calls.at(-1)[0] === 'notifications' && inbox.unreadCount === 0, 'the count read again');
  });

  test('all: every item read and the count 0; a failure puts them back', async () => {
    const { inbox, api, errors } = openInbox();
    for (let n = 1; n <= 3; n += 1) api.add(notification(n));
    await inbox.loadFirst();
    api.fail('markAllNotificationsRead', apiError(503));
    await inbox.markAllRead();
    assert.equal(inbox.unreadCount, 3);
    assert.ok(inbox.items.every((item) => item.readAt === null));
    assert.equal(errors.length, 1);

    await inbox.markAllRead();
    assert.equal(inbox.unreadCount, 0);
    assert.ok(inbox.items.every((item) => item.readAt !== null));
    assert.equal(api.unreadCount, 0);
  });
});

describe('what counts as a notification', () => {
  test('the contract item, with threadId and excerpt null or absent', () => {
    assert.equal(isNotification(notification(1)), true);
    assert.equal(isNotification(notification(1, { kind: 'reply', threadId: 'm0', excerpt: null })), true);
    assert.equal(isNotification({ ...notification(1), createdAt: 'yesterday' }), false);
    assert.equal(isNotification({ ...notification(1), documentId: 7 }), false);
  });
});
