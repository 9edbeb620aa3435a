// Wires the page together: one live connection per dev user, one chat session per open
// document (or a notice when the link names no valid one).

import { createApi, HUB_URL } from './api.js';
import { ChatSession, SYNC_STATE } from './chat-session.js';
import { documentFromHash, documentHash, documentTitle, SAMPLE_DOCUMENTS } from './documents.js';
import { identityHeaders, loadUser, saveUser } from './identity.js';
import { CONNECTION_STATE } from './live-connection.js';
import { RealtimeConnection } from './realtime-connection.js';
import { createTypingSignal } from './typing-signal.js';
import { fillAvatar } from './views/avatar.js';
import { createComposer } from './views/composer.js';
import { renderConnectionState } from './views/connection-pill.js';
import { createDocumentPicker } from './views/document-picker.js';
import { createMessageList } from './views/message-list.js';
import { createNotice } from './views/notice.js';
import { createPresenceList } from './views/presence-list.js';
import { createTypingIndicator } from './views/typing-indicator.js';
import { createSidebarToggle } from './views/sidebar-toggle.js';
import { createUserPicker } from './views/user-picker.js';

/**
 * The page's element with this id, of the type its use asks for: index.html has each one.
 * @template {HTMLElement} [Found=HTMLElement]
 * @param {string} id
 * @returns {Found}
 */
const byId = (id) => /** @type {Found} */ (document.getElementById(id));

let user = loadUser();
/** @type {RealtimeConnection | null} */
let connection = null;
/** @type {ChatSession | null} */
let session = null;
const api = createApi(() => user);

const pill = byId('connection-state');
const chat = byId('chat');
const notice = createNotice(byId('notice'));
const messageList = createMessageList({
  scroller: byId('messages'),
  list: byId('message-list'),
  empty: byId('empty-state'),
  olderButton: byId('load-older'),
  jumpButton: byId('jump-to-new'),
  onRetry: (id) => session?.retry(id),
  onLoadOlder: () => session?.loadOlder(),
  onEdit: (id, text) => session?.edit(id, text),
  onDelete: (id) => session?.remove(id),
  onReact: (id, emoji, on) => session?.react(id, emoji, on),
  onScroll: () => markSeen(),
});
const sidebar = createSidebarToggle({ app: byId('app'), toggle: byId('sidebar-toggle'), sidebar: byId('sidebar') });
const presenceList = createPresenceList(byId('presence-list'));
const typingIndicator = createTypingIndicator(byId('typing-indicator'));
// Only a joined connection's typing reaches anyone; the server drops the rest.
const typingSignal = createTypingSignal(
  () => session?.syncState === SYNC_STATE.LIVE && connection !== null && connection.send('typing', session.documentId),
);
const composer = createComposer({
  form: byId('composer'),
  textarea: byId('composer-text'),
  button: byId('send-button'),
  hint: byId('composer-hint'),
  onSend: (text) => session?.send(text),
  onInput: (text) => typingSignal.typed(text),
});
const userPicker = createUserPicker({
  form: byId('user-form'),
  select: byId('user-select'),
  customSection: byId('custom-user'),
  customInput: byId('custom-user-name'),
  customHint: byId('custom-user-hint'),
  onChange: switchUser,
});
const documentPicker = createDocumentPicker({
  list: byId('document-list'),
  form: byId('open-document-form'),
  input: byId('document-id-input'),
  hint: byId('document-id-hint'),
  onPick: () => sidebar.close(),
});

// Store changes come in bursts (a history page, a catch-up): draw once per burst.
let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(() => {
    renderQueued = false;
    render();
  });
}

function render() {
  if (!session) return;
  chat.dataset.sync = session.syncState;
  const messages = session.store.ordered;
  const unread = session.read.unreadIn(messages, user.id);
  messageList.render({
    messages,
    ownUserId: user.id,
    loading: session.syncState === SYNC_STATE.LOADING,
    hasOlder: session.hasOlder,
    loadingOlder: session.loadingOlder,
    dividerAfter: session.read.dividerAfter,
    unread,
  });
  presenceList.render(session.presence.users, user.id);
  typingIndicator.render(session.presence.typists);
  const title = `${documentTitle(session.documentId)} · docchat`;
  document.title = unread > 0 ? `(${unread}) ${title}` : title;
  markSeen();
}

// The newest messages are read once they are on screen: the tab shown, scrolled down to them.
function markSeen() {
  if (!session || document.visibilityState !== 'visible' || !messageList.atBottom()) return;
  session.read.saw(session.store.contiguousSeq ?? 0);
}

function showUser() {
  byId('current-user-name').textContent = user.name;
  fillAvatar(byId('current-user-avatar'), user);
  userPicker.show(user);
}

function connect() {
  /** @type {RealtimeConnection} */
  const created = new RealtimeConnection({
    url: HUB_URL,
    headers: identityHeaders(user),
    handlers: {
      newMessage: (message) => session?.receive(message),
      messageUpdated: (message) => session?.receiveChange(message),
      messageDeleted: (message) => session?.receiveChange(message),
      reactionsChanged: (change) => session?.receiveReactions(change),
      presence: (event) => session?.receivePresence(event),
      typing: (event) => session?.receiveTyping(event),
    },
    onStateChange: (state) => {
      if (created !== connection) return;
      renderConnectionState(pill, state);
      if (state !== CONNECTION_STATE.CONNECTED) session?.detach();
    },
    // A new connection id every time: re-join the open document and catch up.
    onConnected: (connectionId) => {
      if (created === connection) session?.sync(connectionId);
    },
  });
  connection = created;
  renderConnectionState(pill, created.state);
  created.start();
}

// Drops the live connection for a new one; its onConnected re-joins the open document.
function reconnect() {
  const old = connection;
  connect();
  old?.stop();
}

// Leaves the open document, if any, and empties what it showed.
function closeDocument() {
  session?.close(connection?.connectionId);
  session = null;
  messageList.clear();
  presenceList.render([], user.id);
  typingIndicator.render([]);
  notice.show(null);
}

/** @param {string} documentId */
function openDocument(documentId) {
  if (session?.documentId === documentId) return;
  closeDocument();
  sidebar.close();
  /** @type {ChatSession} */
  const created = new ChatSession({
    documentId,
    api,
    user,
    onChange: () => created === session && scheduleRender(),
    onNotice: (message) => created === session && notice.show(message),
    // The app never learned whose this connection is: a new one brings a new connected event.
    onUnknownConnection: (connectionId) => {
      if (created === session && connection?.connectionId === connectionId) reconnect();
    },
  });
  session = created;

  const title = documentTitle(documentId);
  byId('document-title').textContent = title;
  // Sample documents show their id under the title; any other document's title is its id.
  byId('document-subtitle').textContent = title === documentId ? '' : documentId;
  documentPicker.show(documentId);
  composer.setAvailable(true);

  session.sync(connection?.connectionId ?? null);
  scheduleRender();
}

/** @param {import('./identity.js').User} next */
async function switchUser(next) {
  if (next.id === user.id && next.name === user.name) return;
  user = next;
  saveUser(user);
  showUser();
  // The identity is fixed per connection (it goes into negotiate): start over as the new user.
  const documentId = session?.documentId;
  session?.close(null);
  session = null;
  const previous = connection;
  connect();
  if (documentId) openDocument(documentId);
  await previous?.stop();
}

// A link that names no valid document says so, rather than opening some other document.
/** @param {string} problem  why the link's id is not valid */
function showInvalidLink(problem) {
  closeDocument();
  chat.dataset.sync = SYNC_STATE.OFFLINE;
  byId('document-title').textContent = 'No document open';
  byId('document-subtitle').textContent = '';
  document.title = 'Invalid link · docchat';
  documentPicker.show(null);
  composer.setAvailable(false);
  notice.show(`This link does not name a valid document: its id ${problem}. Pick a document from the list, or open one by id.`);
}

function followHash() {
  const linked = documentFromHash();
  if (linked?.problem) {
    showInvalidLink(linked.problem);
  } else if (linked) {
    openDocument(linked.id);
  } else {
    window.history.replaceState(null, '', documentHash(SAMPLE_DOCUMENTS[0].id));
    openDocument(SAMPLE_DOCUMENTS[0].id);
  }
}

showUser();
connect();
window.addEventListener('hashchange', followHash);
document.addEventListener('visibilitychange', markSeen);
followHash();
