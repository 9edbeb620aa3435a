// The thread panel, beside the chat (a full-screen sheet on a phone): either the list of the
// document's threads, open or resolved, or one thread: its root (the anchor's quote above it),
// its replies, a box to reply, and Resolve / Reopen. The messages of a thread are drawn by a
// message list of their own; the reply box is a composer; app.js wires both.

import { anchorQuote } from '@docchat/client';
import { plainText } from '../markdown.js';
import { participantAvatars, threadCountLabel } from './thread-summary.js';
import { element } from './element.js';
import { formatFull } from './time-format.js';

/** @typedef {import('@docchat/client').ShownMessage} ShownMessage */
/** @typedef {import('@docchat/client').ThreadFilter} ThreadFilter */

/**
 * The list of threads, as render() is given it.
 * @typedef {object} ListView
 * @property {'list'} mode
 * @property {ThreadFilter} filter
 * @property {readonly ShownMessage[]} threads
 * @property {boolean} loading
 * @property {boolean} loaded
 * @property {boolean} failed
 * @property {boolean} hasMore
 */

/**
 * One thread, as render() is given it.
 * @typedef {object} ThreadView
 * @property {'thread'} mode
 * @property {ShownMessage | undefined} root
 */

// A thread's card: its quote, who started it and with what, its replies and state.
/** @param {ShownMessage} root */
function threadCard(root) {
  const card = element('button', 'thread-card');
  card.type = 'button';
  Object.assign(card.dataset, { rootId: root.id, testid: 'thread-card', resolved: String(root.thread?.resolved === true) });
  card.setAttribute('aria-controls', 'thread-panel');
  const quote = anchorQuote(root);
  if (quote !== null) {
    const quoted = element('span', 'thread-card-quote', quote);
    quoted.dir = 'auto';
    card.append(quoted);
  }
  const text = element('span', 'thread-card-text', root.deleted ? 'Message deleted' : plainText(root.text ?? ''));
  text.dir = 'auto';
  const meta = element('span', 'thread-card-meta');
  meta.append(participantAvatars(root.thread?.participants ?? []), element('span', '', threadCountLabel(root)));
  card.append(element('span', 'thread-card-sender', root.senderName), text, meta);
  return card;
}

/**
 * "Resolved by Carol" (when, on hover), or "Open".
 * @param {ShownMessage} root
 */
function stateLine(root) {
  const { resolved = false, resolvedBy = null } = root.thread ?? {};
  if (!resolved) return 'Open';
  return resolvedBy ? `Resolved by ${resolvedBy.name}` : 'Resolved';
}

/**
 * @param {object} parts
 * @param {HTMLElement} parts.panel
 * @param {HTMLElement} parts.title
 * @param {HTMLButtonElement} parts.backButton
 * @param {HTMLButtonElement} parts.closeButton
 * @param {HTMLElement} parts.listView
 * @param {HTMLElement} parts.filters  holds a button per filter, each with data-filter
 * @param {HTMLElement} parts.list
 * @param {HTMLElement} parts.listEmpty
 * @param {HTMLButtonElement} parts.moreButton
 * @param {HTMLElement} parts.threadView
 * @param {HTMLElement} parts.state
 * @param {HTMLButtonElement} parts.resolveButton
 * @param {HTMLElement} parts.repliesStatus
 * @param {(filter: ThreadFilter) => void} parts.onFilter
 * @param {() => void} parts.onMore
 * @param {(rootId: string) => void} parts.onOpenThread
 * @param {() => void} parts.onBack
 * @param {() => void} parts.onClose
 * @param {(rootId: string, resolved: boolean) => void} parts.onResolve
 */
export function createThreadPanel(parts) {
  const { panel, title, backButton, closeButton, listView, filters, list, listEmpty, moreButton } = parts;
  const { threadView, state, resolveButton, repliesStatus } = parts;
  /** @type {ShownMessage | undefined} */
  let shownRoot;

  filters.addEventListener('click', (event) => {
    const choice = /** @type {Element} */ (event.target).closest('button');
    if (choice?.dataset.filter) parts.onFilter(/** @type {ThreadFilter} */ (choice.dataset.filter));
  });
  list.addEventListener('click', (event) => {
    const card = /** @type {Element} */ (event.target).closest('button');
    if (card instanceof HTMLElement && card.dataset.rootId) parts.onOpenThread(card.dataset.rootId);
  });
  moreButton.addEventListener('click', parts.onMore);
  backButton.addEventListener('click', parts.onBack);
  closeButton.addEventListener('click', parts.onClose);
  resolveButton.addEventListener('click', () => {
    if (shownRoot) parts.onResolve(shownRoot.id, shownRoot.thread?.resolved !== true);
  });
  panel.addEventListener('keydown', (event) => {
    // Escape inside a message (an edit, the picker) is the message list's.
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    event.preventDefault();
    parts.onClose();
  });

  /** @param {ListView} view */
  function renderList({ filter, threads, loading, loaded, failed, hasMore }) {
    for (const choice of filters.querySelectorAll('button')) {
      choice.setAttribute('aria-pressed', String(choice.dataset.filter === filter));
    }
    list.replaceChildren(
      ...threads.map((root) => {
        const item = element('li', 'thread-list-item');
        item.append(threadCard(root));
        return item;
      }),
    );
    listEmpty.hidden = threads.length > 0;
    if (failed) listEmpty.textContent = "Couldn't load the threads.";
    else if (!loaded) listEmpty.textContent = 'Loading threads…';
    else listEmpty.textContent = filter === 'resolved' ? 'No resolved threads.' : 'No open threads.';
    moreButton.hidden = !hasMore;
    moreButton.disabled = loading;
    moreButton.textContent = loading ? 'Loading…' : 'Load more threads';
  }

  /**
   * @param {ShownMessage | undefined} root
   * @param {string} status  how loading its replies goes ('' once loaded)
   */
  function renderThread(root, status) {
    shownRoot = root;
    resolveButton.hidden = !root;
    if (root) {
      const resolved = root.thread?.resolved === true;
      state.textContent = stateLine(root);
      state.dataset.resolved = String(resolved);
      state.title = root.thread?.resolvedAt ? formatFull(new Date(root.thread.resolvedAt)) : '';
      resolveButton.textContent = resolved ? 'Reopen' : 'Resolve';
    } else {
      state.textContent = '';
    }
    repliesStatus.textContent = status;
    repliesStatus.hidden = status === '';
  }

  return {
    get open() {
      return !panel.hidden;
    },

    /**
     * Shows the panel with the list or a thread; `status` says how loading a thread's
     * replies goes ('' when loaded).
     * @param {ListView | ThreadView} view
     * @param {string} [status]
     */
    render(view, status = '') {
      panel.hidden = false;
      const listMode = view.mode === 'list';
      listView.hidden = !listMode;
      threadView.hidden = listMode;
      backButton.hidden = listMode;
      title.textContent = listMode ? 'Threads' : 'Thread';
      if (view.mode === 'list') renderList(view);
      else renderThread(view.root, status);
    },

    /** Moves focus to the panel's title, as it opens or changes view. */
    focus() {
      title.focus();
    },

    hide() {
      panel.hidden = true;
      shownRoot = undefined;
    },
  };
}
