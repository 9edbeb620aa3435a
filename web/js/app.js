// Wires the page together: one live connection per dev user, one chat session per open
// document (or a notice when the link names no valid one), the thread panel beside it, the
// `@` autocomplete of both message boxes, and the user's notifications (the bell, the inbox
// panel, a notification's jump to its message or thread); where the document opens and its
// "New messages" divider (web/js/unread.js), the pill's status (web/js/status.js), and the
// document list with each document's unread count (web/js/unread-counts.js: live, as the
// client watches the listed documents). The chat itself is the JS client's
// (@docchat/client, clients/js): the page's import map (index.html) resolves it, and the
// dev host serves it next to the page.

import { createTypingSignal, DocchatClient, Inbox, isNotification, SYNC_STATE, THREAD_STATE } from '@docchat/client';

import {
  documentFromHash,
  documentHash,
  documentTitle,
  listedDocuments,
  loadOpenedDocuments,
  rememberDocument,
  SAMPLE_DOCUMENTS,
} from './documents.js';
import { account, accountHeaders } from './account.js';
import { isEmbedded } from './embed.js';
import { loadUser, saveUser } from './identity.js';
import { PeopleDirectory } from './people.js';
import { COUNTS_EVERY_MS, UnreadCounts } from './unread-counts.js';
import { dividerAfter, firstUnreadIsOlder, UnreadDivider } from './unread.js';
import { fillAvatar } from './views/avatar.js';
import { createComposer } from './views/composer.js';
import { renderConnectionState } from './views/connection-pill.js';
import { createDocumentPicker } from './views/document-picker.js';
import { createInboxPanel, KIND_TEXT } from './views/inbox-panel.js';
import { createMentionPicker } from './views/mention-picker.js';
import { createMessageList } from './views/message-list.js';
import { createNotice } from './views/notice.js';
import { createPresenceList } from './views/presence-list.js';
import { createTypingIndicator } from './views/typing-indicator.js';
import { createSidebarToggle } from './views/sidebar-toggle.js';
import { createThreadPanel } from './views/thread-panel.js';
import { createUserPicker } from './views/user-picker.js';

/**
 * The page's element with this id, of the type its use asks for: index.html has each one.
 * @template {HTMLElement} [Found=HTMLElement]
 * @param {string} id
 * @returns {Found}
 */
const byId = (id) => /** @type {Found} */ (document.getElementById(id));

/** @typedef {import('@docchat/client').ChatSession} ChatSession */

/**
 * The chat client of one dev user: the identity is fixed per connection (it goes into
 * negotiate), so a new user gets a new client. SignalR's browser client is the classic script
 * /vendor/signalr.min.js; Web PubSub's comes by its npm name through the import map.
 * @param {import('./identity.js').User} who
 */
function createClient(who) {
  return new DocchatClient({ user: who, headers: accountHeaders(who), libraries: { signalR: window.signalR } });
}

// Signed in before this module loads (boot.js): App Service's user, or the dev user.
let user = account.user ?? loadUser();
let client = createClient(user);
/** @type {ChatSession | null} */
let session = null;
// Who can be mentioned in the open document; names for its mentions.
/** @type {PeopleDirectory | null} */
let people = null;

const pill = byId('connection-state');
const chat = byId('chat');
const notice = createNotice(byId('notice'));
// What a message list does to a message, in the timeline or in a thread.
const messageChanges = {
  onRetry: (/** @type {string} */ id) => session?.retry(id),
  onEdit: (/** @type {string} */ id, /** @type {string} */ text) => session?.edit(id, text),
  onDelete: (/** @type {string} */ id) => session?.remove(id),
  onReact: (/** @type {string} */ id, /** @type {string} */ emoji, /** @type {boolean} */ on) => session?.react(id, emoji, on),
};
const messageList = createMessageList({
  scroller: byId('messages'),
  list: byId('message-list'),
  empty: byId('empty-state'),
  olderButton: /** @type {HTMLButtonElement} */ (byId('load-older')),
  jumpButton: /** @type {HTMLButtonElement} */ (byId('jump-to-new')),
  ...messageChanges,
  onLoadOlder: () => session?.loadOlder(),
  onScroll: () => markSeen(),
  onOpenThread: (rootId) => openThread(rootId),
});
const sidebar = createSidebarToggle({ app: byId('app'), toggle: byId('sidebar-toggle'), sidebar: byId('sidebar') });
const presenceList = createPresenceList(byId('presence-list'), byId('presence-summary'));
const typingIndicator = createTypingIndicator(byId('typing-indicator'));
// Only a joined connection's typing reaches anyone; the server drops the rest.
const typingSignal = createTypingSignal(() => session !== null && client.typing(session.documentId));
/**
 * The `@` autocomplete of the message box `textarea`.
 * @param {string} textareaId
 * @param {string} listId
 * @param {string} statusId
 */
function mentionPicker(textareaId, listId, statusId) {
  return createMentionPicker({
    textarea: byId(textareaId),
    listbox: byId(listId),
    status: byId(statusId),
    candidates: () => people?.candidates(session?.presence.users ?? [], user.id) ?? [],
    onQuery: () => people?.refresh(),
  });
}
const composerMentions = mentionPicker('composer-text', 'composer-mentions', 'composer-mention-status');
const composer = createComposer({
  form: byId('composer'),
  textarea: byId('composer-text'),
  button: byId('send-button'),
  hint: byId('composer-hint'),
  mentions: composerMentions,
  onSend: (text, mentions) => session?.send(text, mentions),
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

// The thread panel: closed (null), the thread list (rootId null), or one thread.
/** @type {{rootId: string | null} | null} */
let panelView = null;
// Where focus goes back to when the panel closes.
/** @type {HTMLElement | null} */
let panelOpener = null;
// On a phone the panel is a full-screen sheet: what it covers takes no focus meanwhile.
const phone = window.matchMedia('(max-width: 760px)');
const threadsToggle = byId('threads-toggle');
const threadMessages = createMessageList({
  scroller: byId('thread-messages'),
  list: byId('thread-message-list'),
  empty: byId('thread-empty'),
  rowTestId: 'thread-message',
  ...messageChanges,
});
const replyMentions = mentionPicker('reply-text', 'reply-mentions', 'reply-mention-status');
const replyComposer = createComposer({
  form: byId('reply-composer'),
  textarea: byId('reply-text'),
  button: byId('reply-button'),
  hint: byId('reply-hint'),
  mentions: replyMentions,
  onSend: (text, mentions) => {
    if (panelView?.rootId) session?.reply(panelView.rootId, text, mentions);
  },
  onInput: (text) => typingSignal.typed(text),
});
const threadPanel = createThreadPanel({
  panel: byId('thread-panel'),
  title: byId('thread-panel-title'),
  backButton: byId('thread-back'),
  closeButton: byId('thread-close'),
  listView: byId('thread-list-view'),
  filters: byId('thread-filters'),
  list: byId('thread-list'),
  listEmpty: byId('thread-list-empty'),
  moreButton: byId('thread-list-more'),
  threadView: byId('thread-view'),
  state: byId('thread-state'),
  resolveButton: byId('thread-resolve'),
  repliesStatus: byId('thread-replies-status'),
  onFilter: (filter) => session?.loadThreads(filter),
  onMore: () => session?.loadMoreThreads(),
  onOpenThread: (rootId) => openThread(rootId),
  onBack: () => showThreadList(),
  onClose: () => closePanel(),
  onResolve: (rootId, resolved) => session?.resolve(rootId, resolved),
});

// The inbox: a new one per user. Open or not, its panel covers the page on a phone.
/** @type {Inbox} */
let inbox = createInbox();
let inboxOpen = false;
/** @type {HTMLElement | null} */
let inboxOpener = null;
const bell = /** @type {HTMLButtonElement} */ (byId('bell'));
const inboxPanel = createInboxPanel({
  bell,
  bellLabel: byId('bell-label'),
  badge: byId('bell-count'),
  panel: byId('inbox-panel'),
  title: byId('inbox-title'),
  list: byId('inbox-list'),
  empty: byId('inbox-empty'),
  moreButton: byId('inbox-more'),
  markAllButton: byId('inbox-mark-all'),
  closeButton: byId('inbox-close'),
  documentTitle,
  onToggle: () => (inboxOpen ? closeInbox() : openInbox()),
  onClose: () => closeInbox(),
  onMore: () => inbox.loadMore(),
  onMarkAll: () => inbox.markAllRead(),
  onPick: (id) => pickNotification(id),
});

// Where a picked notification jumps once its document shows: its thread, or its message
// (paging back through history for it, up to JUMP_OLDER_PAGES pages).
/** @type {{documentId: string, messageId: string, threadId: string | null, olderPages: number} | null} */
let pendingJump = null;
// The message a thread opened by a jump scrolls to once its replies are loaded.
/** @type {string | null} */
let threadReveal = null;
const JUMP_OLDER_PAGES = 10;

const documentPicker = createDocumentPicker({
  list: byId('document-list'),
  form: byId('open-document-form'),
  input: byId('document-id-input'),
  hint: byId('document-id-hint'),
  onPick: () => sidebar.close(),
});
// The panel shows no document list: it counts nothing.
const listsDocuments = !isEmbedded(window.location);
// The documents opened by id, which the list shows after the samples.
let openedDocuments = loadOpenedDocuments();
showDocuments();
// Each listed document's unread count; the open one's is the page's own.
const unreadCounts = new UnreadCounts({
  read: (documentId) => client.api.readStatus(documentId),
  onChange: () => documentPicker.setCounts(unreadCounts.counts),
});
// The list, and the documents the client hears for it (their new messages count live).
function showDocuments() {
  const listed = listedDocuments(openedDocuments);
  documentPicker.setDocuments(listed);
  client.watch(listsDocuments ? listed.map((doc) => doc.id) : []);
}

function refreshUnreadCounts() {
  if (!listsDocuments) return;
  const others = listedDocuments(openedDocuments).filter((doc) => doc.id !== session?.documentId);
  unreadCounts.refresh(others.map((doc) => doc.id));
}

// Where the open document's "New messages" divider goes (web/js/unread.js).
let divider = new UnreadDivider();
// Opening a document with unread messages: it shows at its first unread one, paging back
// through history for it (up to JUMP_OLDER_PAGES pages).
/** @type {{olderPages: number} | null} */
let openingAtUnread = null;
// The open document's last try to sync failed: its notice says why.
let syncFailing = false;

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
  renderStatus();
  if (!session) return;
  chat.dataset.sync = session.syncState;
  const messages = session.store.ordered;
  const unread = session.read.unreadIn(messages, user.id);
  people?.see(session.presence.users);
  seeSenders(messages);
  placeDivider(messages);
  messageList.render({
    messages,
    ownUserId: user.id,
    loading: session.syncState === SYNC_STATE.LOADING,
    hasOlder: session.hasOlder,
    loadingOlder: session.loadingOlder,
    dividerAfter: dividerAfter({ messages, after: divider.after, ownUserId: user.id, hasOlder: session.hasOlder }),
    unread,
    nameOf,
  });
  openAtFirstUnread(messages);
  unreadCounts.set(session.documentId, unread);
  presenceList.render(session.presence.users, user.id);
  typingIndicator.render(session.presence.typists);
  renderPanel(session);
  const title = `${documentTitle(session.documentId)} · docchat`;
  document.title = unread > 0 ? `(${unread}) ${title}` : title;
  markSeen();
  tryJump();
}

// The pill: whether the open document is in sync (web/js/status.js).
function renderStatus() {
  renderConnectionState(pill, { connection: client.state, sync: session?.syncState ?? null, failing: syncFailing });
}

/**
 * Tells the divider what the page holds, once the document's read marker and first page are
 * in, and whether the user is watching the newest messages arrive: the tab shown, the list
 * at the bottom (where a draw keeps it), and not still opening at the first unread.
 * @param {readonly import('@docchat/client').ShownMessage[]} messages
 */
function placeDivider(messages) {
  if (!session?.read.loaded || !session.store.started) return;
  const newest = session.store.contiguousSeq ?? 0;
  if (!divider.opened) {
    const marker = session.read.dividerAfter ?? 0;
    divider.open({ marker, newest, unread: session.read.unreadIn(messages, user.id) > 0 });
    if (divider.after !== null) openingAtUnread = { olderPages: 0 };
  }
  const watching = document.visibilityState === 'visible' && messageList.atBottom() && openingAtUnread === null;
  divider.update({ newest, watching });
}

/**
 * Opening a document with unread messages: pages back until its first unread one is loaded,
 * then shows it at the top, the divider above it.
 * @param {readonly import('@docchat/client').ShownMessage[]} messages
 */
function openAtFirstUnread(messages) {
  if (!session || openingAtUnread === null) return;
  const older = firstUnreadIsOlder({ messages, after: divider.after, hasOlder: session.hasOlder });
  if (older && openingAtUnread.olderPages < JUMP_OLDER_PAGES) {
    if (session.loadingOlder) return;
    openingAtUnread.olderPages += 1;
    session.loadOlder();
    return;
  }
  openingAtUnread = null;
  messageList.revealDivider();
}

/**
 * A user's name, for the mentions of a message.
 * @param {string} id
 */
function nameOf(id) {
  return id === user.id ? user.name : people?.nameOf(id);
}

/** @param {readonly import('@docchat/client').ShownMessage[]} messages */
function seeSenders(messages) {
  people?.see(messages.map((message) => ({ id: message.senderId, name: message.senderName })));
}

/** @param {ChatSession} shown */
function renderPanel(shown) {
  const open = panelView !== null;
  threadsToggle.setAttribute('aria-expanded', String(open));
  byId('app').dataset.threads = open ? 'open' : 'closed';
  coverForSheets();
  if (panelView === null) {
    threadPanel.hide();
    return;
  }
  const { rootId } = panelView;
  if (rootId === null) {
    const list = shown.threadList;
    const { filter, loading, loaded, failed, hasMore } = list;
    threadPanel.render({ mode: 'list', filter, threads: shown.threads, loading, loaded, failed, hasMore });
    return;
  }
  const root = shown.store.get(rootId);
  const replies = shown.store.repliesOf(rootId);
  seeSenders(replies);
  const state = shown.threadState(rootId);
  let status = '';
  if (state === THREAD_STATE.LOADING) status = 'Loading replies…';
  else if (state === THREAD_STATE.FAILED) status = "Couldn't load the replies. Open the thread again to retry.";
  else if (replies.length === 0) status = 'No replies yet.';
  threadPanel.render({ mode: 'thread', root }, status);
  threadMessages.render({
    messages: root ? [root, ...replies] : replies,
    ownUserId: user.id,
    loading: state === THREAD_STATE.LOADING,
    hasOlder: false,
    loadingOlder: false,
    dividerAfter: null,
    unread: 0,
    nameOf,
  });
  replyComposer.setAvailable(root !== undefined);
  // A jump's message, once the thread's replies are in (or could not be loaded): one try.
  if (threadReveal !== null && state !== THREAD_STATE.LOADING) {
    if (state === THREAD_STATE.LOADED) threadMessages.reveal(threadReveal);
    threadReveal = null;
  }
}

// On a phone the thread panel and the inbox are full-screen sheets: what one covers takes no
// focus meanwhile (the inbox lies over the thread panel too).
function coverForSheets() {
  const threadSheet = panelView !== null && phone.matches;
  const inboxSheet = inboxOpen && phone.matches;
  for (const covered of [byId('topbar'), byId('sidebar'), chat]) covered.inert = threadSheet || inboxSheet;
  byId('thread-panel').inert = inboxSheet;
}

/** @returns {Inbox} */
function createInbox() {
  /** @type {Inbox} */
  const created = new Inbox({
    api: client.api,
    onChange: () => created === inbox && renderInbox(),
    onError: (message) => created === inbox && notice.show(message),
  });
  return created;
}

function renderInbox() {
  inboxPanel.showCount(inbox.unreadCount);
  if (!inboxOpen) {
    inboxPanel.hide();
    return;
  }
  const { items, unreadCount, loading, loaded, failed, hasMore } = inbox;
  inboxPanel.render({ items, unreadCount, loading, loaded, failed, hasMore });
}

function openInbox() {
  inboxOpener = /** @type {HTMLElement | null} */ (document.activeElement);
  inboxOpen = true;
  inbox.loadFirst();
  renderInbox();
  coverForSheets();
  inboxPanel.focus();
}

/** @param {boolean} [giveFocusBack]  false when focus goes on elsewhere (a jump, a click outside) */
function closeInbox(giveFocusBack = true) {
  if (!inboxOpen) return;
  inboxOpen = false;
  renderInbox();
  coverForSheets();
  if (giveFocusBack) (inboxOpener?.isConnected && inboxOpener !== document.body ? inboxOpener : bell).focus();
  inboxOpener = null;
}

/**
 * Marks the notification read and jumps to its message or thread, opening its document.
 * @param {string} id
 */
function pickNotification(id) {
  const item = inbox.items.find((known) => known.id === id);
  if (!item) return;
  inbox.markRead(id);
  closeInbox(false);
  const { documentId, messageId, threadId } = item;
  pendingJump = { documentId, messageId, threadId, olderPages: 0 };
  if (session?.documentId === documentId) scheduleRender();
  else window.location.hash = documentHash(documentId);
}

// Takes the pending jump's next step, once its document is open and loaded.
function tryJump() {
  const jump = pendingJump;
  if (!jump || session?.documentId !== jump.documentId) return;
  if (!session.store.started || session.syncState === SYNC_STATE.LOADING) return;
  if (jump.threadId !== null) {
    pendingJump = null;
    threadReveal = jump.messageId;
    openThread(jump.threadId);
  } else if (messageList.reveal(jump.messageId)) {
    pendingJump = null;
  } else if (session.hasOlder && jump.olderPages < JUMP_OLDER_PAGES) {
    if (session.loadingOlder) return;
    jump.olderPages += 1;
    session.loadOlder();
  } else {
    // Further back than the page goes: the message shows on its own, as a thread's root.
    pendingJump = null;
    openThread(jump.messageId);
  }
}

// Opens the panel on `view`, its title focused (unless a jump focuses a message in it);
// remembers where focus was, to give it back.
/** @param {{rootId: string | null}} view */
function showPanel(view) {
  if (!session) return;
  const active = /** @type {HTMLElement | null} */ (document.activeElement);
  if (panelView === null || !byId('thread-panel').contains(active)) panelOpener = active;
  if (view.rootId !== panelView?.rootId) threadMessages.clear();
  panelView = view;
  render();
  // A jump's message takes focus itself, once its thread shows it.
  if (threadReveal === null) threadPanel.focus();
}

/** @param {string} rootId */
function openThread(rootId) {
  session?.openThread(rootId);
  showPanel({ rootId });
}

function showThreadList() {
  const list = session?.threadList;
  if (list && !list.loaded && !list.loading) session?.loadThreads(list.filter);
  showPanel({ rootId: null });
}

function closePanel() {
  if (panelView === null) return;
  panelView = null;
  threadReveal = null;
  threadMessages.clear();
  if (session) renderPanel(session);
  else threadPanel.hide();
  const back = panelOpener?.isConnected ? panelOpener : threadsToggle;
  panelOpener = null;
  back.focus();
}

// The newest messages are read once they are on screen: the tab shown, scrolled down to them
// (not while the document opens at its first unread message).
function markSeen() {
  if (!session || openingAtUnread !== null || document.visibilityState !== 'visible' || !messageList.atBottom()) return;
  session.read.saw(session.store.contiguousSeq ?? 0);
}

function showUser() {
  byId('current-user-name').textContent = user.name;
  fillAvatar(byId('current-user-avatar'), user);
  userPicker.show(user);
}

// Starts the client's live connection; on each new one the client re-joins the open document
// and catches up itself.
function connect() {
  const created = client;
  created.on('state', () => created === client && renderStatus());
  created.on('connected', () => {
    if (created !== client) return;
    refreshUnreadCounts();
    // Notifications that came while not connected: the count, and the open inbox's items.
    inbox.refreshCount();
    if (inboxOpen) inbox.loadFirst();
  });
  created.on('message', (message) => {
    const elsewhere = message.documentId !== session?.documentId;
    if (created === client && elsewhere && message.senderId !== user.id) unreadCounts.arrived(message.documentId);
  });
  created.on('notification', (item) => {
    if (created === client && inbox.receive(item) && isNotification(item)) announce(item);
    if (created === client && typeof item?.documentId === 'string' && item.documentId !== session?.documentId) {
      unreadCounts.refresh([item.documentId]);
    }
  });
  created.connect();
  renderStatus();
}

// Leaves the open document, if any, and empties what it showed.
function closeDocument() {
  panelView = null;
  panelOpener = null;
  threadReveal = null;
  people = null;
  threadMessages.clear();
  threadPanel.hide();
  if (session) client.close(session.documentId);
  session = null;
  divider = new UnreadDivider();
  openingAtUnread = null;
  syncFailing = false;
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
  const created = client.open(documentId, {
    onChange: () => created === session && scheduleRender(),
    onNotice: (message) => {
      if (created !== session) return;
      notice.show(message);
      // Said while syncing: the sync failed and is retrying (or gave up).
      syncFailing = message !== null && created.syncState !== SYNC_STATE.LIVE;
      renderStatus();
    },
  });
  session = created;
  if (pendingJump?.documentId !== documentId) pendingJump = null;
  /** @type {PeopleDirectory} */
  const directory = new PeopleDirectory({
    read: () => client.api.people(documentId),
    onChange: () => {
      if (directory !== people) return;
      composerMentions.update();
      replyMentions.update();
      scheduleRender();
    },
  });
  people = directory;
  directory.refresh();

  const title = documentTitle(documentId);
  byId('document-title').textContent = title;
  // Sample documents show their id under the title; any other document's title is its id.
  byId('document-subtitle').textContent = title === documentId ? '' : documentId;
  openedDocuments = rememberDocument(openedDocuments, documentId);
  showDocuments();
  documentPicker.show(documentId);
  composer.setAvailable(true);
  threadsToggle.hidden = false;

  scheduleRender();
}

/** @param {import('./identity.js').User} next */
async function switchUser(next) {
  if (next.id === user.id && next.name === user.name) return;
  user = next;
  saveUser(user);
  showUser();
  // The inbox is the user's: the new user's starts empty and reads its count (again once connected).
  closeInbox(false);
  pendingJump = null;
  // The identity is fixed per connection (it goes into negotiate): start over as the new user.
  const previous = client;
  client = createClient(user);
  inbox = createInbox();
  renderInbox();
  inbox.refreshCount();
  unreadCounts.clear();
  const documentId = session?.documentId;
  session = null;
  showDocuments();
  connect();
  if (documentId) openDocument(documentId);
  // Its sessions close with its connection, which ends their membership.
  await previous.stop();
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
  // No document: none of a document's controls shows.
  threadsToggle.hidden = true;
  renderStatus();
  // The panel has no document list: its embedding site set the id, so the fix is theirs.
  const next = isEmbedded(window.location)
    ? 'The site showing this panel needs to name a valid document.'
    : 'Pick a document from the list, or open one by id.';
  notice.show(`This link does not name a valid document: its id ${problem}. ${next}`);
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

/**
 * Says a live notification aloud (a polite status), as the bell's count changes silently.
 * @param {import('@docchat/client').Notification} item
 */
function announce(item) {
  byId('inbox-announcer').textContent = `${item.actor.name} ${KIND_TEXT[item.kind]} in ${documentTitle(item.documentId)}`;
}

threadsToggle.addEventListener('click', () => (panelView === null ? showThreadList() : closePanel()));
phone.addEventListener('change', () => (session ? renderPanel(session) : coverForSheets()));
// A press outside the open inbox (not on its bell) closes it, as a popover does.
document.addEventListener('pointerdown', (event) => {
  const target = /** @type {Node} */ (event.target);
  if (inboxOpen && !byId('inbox-panel').contains(target) && !bell.contains(target)) closeInbox(false);
});
renderInbox();
// Read now, so the bell counts even while no live connection comes; read again on connecting.
inbox.refreshCount();
showUser();
connect();
window.addEventListener('hashchange', followHash);
document.addEventListener('visibilitychange', () => {
  markSeen();
  if (document.visibilityState === 'visible') refreshUnreadCounts();
});
// Documents the user is not in send nothing live: their counts are asked for now and then.
setInterval(() => document.visibilityState === 'visible' && refreshUnreadCounts(), COUNTS_EVERY_MS);
followHash();
refreshUnreadCounts();
