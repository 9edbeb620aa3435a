// The JS client's DocchatClient (clients/js/src/client.js): one live connection, through a fake
// of the official SignalR client, whose events reach the open documents' sessions and come out
// as the client's events; every new connection re-joins the open documents and catches up.
// The HTTP API is the fake API (fakes.mjs) behind a fetch that speaks its routes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ApiError } from '../../../clients/js/src/api.js';
import { DocchatClient } from '../../../clients/js/src/client.js';
import { ALICE, BOB, DOCUMENT_ID, FakeApi, FakeClock, FakeDocument, notification, until } from './fakes.mjs';

/** A hub connection as @microsoft/signalr's, driven by the test. */
class FakeHub {
  connectionId = null;
  sent = [];
  handlers = new Map();
  #callbacks = { close: [], reconnecting: [], reconnected: [] };
  #connections = 0;

  async start() {
    this.#connections += 1;
    this.connectionId = `connection-${this.#connections}`;
  }

  async stop() {
    this.connectionId = null;
  }

  async send(method, ...args) {
    this.sent.push([method, ...args]);
  }

  on(name, handler) {
    this.handlers.set(name, handler);
  }

  onclose(callback) {
    this.#callbacks.close.push(callback);
  }

  onreconnecting(callback) {
    this.#callbacks.reconnecting.push(callback);
  }

  onreconnected(callback) {
    this.#callbacks.reconnected.push(callback);
  }

  /** The server sends `name` with `data`. */
  push(name, data) {
    this.handlers.get(name)?.(data);
  }

  /** The connection drops; the automatic reconnect is under way. */
  drop() {
    this.connectionId = null;
    for (const callback of this.#callbacks.reconnecting) callback(new Error('gone'));
  }

  /** The automatic reconnect made a new connection. */
  reconnect() {
    this.#connections += 1;
    this.connectionId = `connection-${this.#connections}`;
    for (const callback of this.#callbacks.reconnected) callback(this.connectionId);
  }
}

/** The @microsoft/signalr module, building `hub`. */
function fakeSignalR(hub) {
  const builder = {
    withUrl: () => builder,
    withAutomaticReconnect: () => builder,
    configureLogging: () => builder,
    build: () => hub,
  };
  return { HubConnectionBuilder: class { constructor() { return builder; } }, LogLevel: { Warning: 3 } };
}

/** A fetch that answers docchat's routes from `api`, and negotiate as SignalR's app does. */
function fakeFetch(api) {
  return async (url, { method, body }) => {
    const { pathname, searchParams } = new URL(url, 'http://docchat.test');
    const json = body ? JSON.parse(body) : undefined;
    const route = pathname.replace(`/api/documents/${DOCUMENT_ID}`, '');
    const watched = /^\/api\/documents\/([^/]+)\/watch$/.exec(pathname);
    let answer;
    if (watched) {
      try {
        answer = await api.watch(decodeURIComponent(watched[1]), json.connectionId);
      } catch (error) {
        return Response.json({ error: { code: error.code, message: error.message } }, { status: error.status });
      }
    } else if (pathname === '/api/negotiate') answer = { url: 'http://service.test/client', accessToken: 'token' };
    else if (route === '/join') answer = await api.join(DOCUMENT_ID, json.connectionId);
    else if (route === '/leave') answer = await api.leave(DOCUMENT_ID, json.connectionId);
    else if (route === '/read') answer = await api.readStatus(DOCUMENT_ID);
    else if (route === '/presence') answer = await api.presence(DOCUMENT_ID);
    else if (route === '/messages' && method === 'POST') answer = await api.sendMessage(DOCUMENT_ID, json);
    else if (route === '/messages' && searchParams.has('after')) answer = await api.messagesAfter(DOCUMENT_ID, searchParams.get('after'));
    else if (route === '/messages') answer = await api.history(DOCUMENT_ID, searchParams.get('continuationToken'));
    else throw new Error(`no fake for ${method} ${pathname}`);
    return answer === null ? new Response(null, { status: 204 }) : Response.json(answer, { status: 200 });
  };
}

/** A client for Alice, connected, with the document open; what it heard, by event. */
async function connectedClient(document = new FakeDocument(), clock = undefined) {
  const api = new FakeApi(document);
  const hub = new FakeHub();
  const client = new DocchatClient({
    baseUrl: '/api',
    user: ALICE,
    fetch: fakeFetch(api),
    libraries: { signalR: fakeSignalR(hub) },
    ...(clock ? { clock } : {}),
  });
  const heard = new Map();
  for (const type of ['state', 'connected', 'message', 'messageChanged', 'presence', 'typing', 'thread', 'notification']) {
    heard.set(type, []);
    client.on(type, (detail) => heard.get(type).push(detail));
  }
  const connectionId = await client.connect();
  const session = client.open(DOCUMENT_ID);
  await until(() => session.syncState === 'live', 'the session is live');
  return { client, session, hub, api, document, heard, connectionId };
}

describe('the client', () => {
  test('connects, then joins the document it opens on that connection', async () => {
    const { client, api, heard, connectionId } = await connectedClient();
    assert.equal(connectionId, 'connection-1');
    assert.deepEqual(heard.get('connected'), [{ connectionId: 'connection-1' }]);
    assert.equal(client.state, 'connected');
    assert.deepEqual(api.callsOf('join'), [[DOCUMENT_ID, 'connection-1']]);
    await client.stop();
  });

  test("routes a message to its document's session, in seq order, and tells listeners", async () => {
    const { client, session, hub, document, heard } = await connectedClient();
    const first = document.store('one');
    const second = document.store('two');
    hub.push('newMessage', second);
    hub.push('newMessage', first);
    assert.deepEqual(
      session.store.ordered.map((message) => message.text),
      ['one', 'two'],
    );
    assert.deepEqual(
      heard.get('message').map((message) => message.seq),
      [2, 1],
    );
    await client.stop();
  });

  test('a reply and its root\'s change are thread events', async () => {
    const { client, hub, document, heard } = await connectedClient();
    const root = document.store('root');
    hub.push('newMessage', root);
    const reply = document.reply(root.id, 'a reply');
    hub.push('newMessage', reply);
    hub.push('messageUpdated', document.get(root.id));
    assert.deepEqual(
      heard.get('thread').map(({ rootId, message }) => [rootId, message.id]),
      [
        [root.id, reply.id],
        [root.id, root.id],
      ],
    );
    await client.stop();
  });

  test("presence, others' typing and notifications are events; the user's own typing is not", async () => {
    const { client, session, hub, heard } = await connectedClient();
    hub.push('presence', { documentId: DOCUMENT_ID, users: [ALICE, BOB] });
    hub.push('typing', { documentId: DOCUMENT_ID, user: BOB });
    hub.push('typing', { documentId: DOCUMENT_ID, user: ALICE });
    const item = notification(1);
    hub.push('notification', item);
    assert.deepEqual(heard.get('presence'), [{ documentId: DOCUMENT_ID, users: [ALICE, BOB] }]);
    assert.deepEqual(session.presence.users, [ALICE, BOB]);
    assert.deepEqual(heard.get('typing'), [{ documentId: DOCUMENT_ID, user: BOB }]);
    assert.deepEqual(session.presence.typists, [BOB]);
    assert.deepEqual(heard.get('notification'), [item]);
    await client.stop();
  });

  test('after a reconnect it joins again on the new connection and catches up, gapless', async () => {
    const { client, session, hub, api, document, heard } = await connectedClient();
    hub.push('newMessage', document.store('before'));
    hub.drop();
    assert.equal(heard.get('state').at(-1).state, 'reconnecting');
    assert.equal(session.syncState, 'offline');
    assert.equal(client.typing(DOCUMENT_ID), false);
    // Missed while away.
    document.store('while away 1');
    document.store('while away 2');
    hub.reconnect();
    await until(() => session.syncState === 'live', 'live again');
    assert.deepEqual(api.callsOf('join').at(-1), [DOCUMENT_ID, 'connection-2']);
    assert.deepEqual(
      session.store.ordered.map((message) => [message.seq, message.text]),
      [
        [1, 'before'],
        [2, 'while away 1'],
        [3, 'while away 2'],
      ],
    );
    assert.equal(client.typing(DOCUMENT_ID), true);
    assert.deepEqual(hub.sent, [['typing', DOCUMENT_ID]]);
    await client.stop();
  });

  test('watches listed documents on every connection and after closing one, never the open one', async () => {
    const clock = new FakeClock();
    const { client, session, hub, api, heard } = await connectedClient(new FakeDocument(), clock);
    api.fail('watch', new ApiError(503, 'connection_not_yet_known', 'not yet'));
    client.watch(['other', DOCUMENT_ID]);
    await until(() => api.callsOf('watch').length === 2, 'the watch tried again');
    assert.deepEqual(api.callsOf('watch'), [['other', 'connection-1'], ['other', 'connection-1']]);
    assert.equal(clock.sleeps.at(-1), 200); // soon, as a join is
    const elsewhere = { ...new FakeDocument().store('elsewhere'), documentId: 'other' };
    hub.push('newMessage', elsewhere);
    assert.deepEqual(heard.get('message').at(-1), elsewhere);
    assert.equal(session.store.ordered.length, 0);

    hub.drop();
    hub.reconnect();
    await until(() => session.syncState === 'live', 'live again');
    await until(() => api.callsOf('watch').length === 3, 'watched on the new connection');
    assert.deepEqual(api.callsOf('watch').at(-1), ['other', 'connection-2']);
    clock.repeat(); // the note that lets a revocation find it expires as presence does
    await until(() => api.callsOf('watch').length === 4, 'watched again in time');
    await client.close(DOCUMENT_ID);
    assert.deepEqual(api.callsOf('leave').at(-1), [DOCUMENT_ID, 'connection-2']);
    assert.deepEqual(api.callsOf('watch').at(-1), [DOCUMENT_ID, 'connection-2']);
    await client.stop();
  });

  test('sends through the session: stored once, shown in place', async () => {
    const { client, session, api } = await connectedClient();
    session.send('hello @Bob', [BOB.id]);
    await until(() => session.store.ordered[0]?.status === 'sent', 'the send is confirmed');
    const [[, sent]] = api.callsOf('sendMessage');
    assert.deepEqual(sent.mentions, [BOB.id]);
    assert.equal(session.store.ordered[0].seq, 1);
    await client.stop();
  });
});
