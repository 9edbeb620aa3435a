// The message list: keyed DOM updates (unchanged rows keep their elements, so focus and
// scroll survive), all user text through textContent. Rows are the messages, a separator
// for each day, and the "New messages" divider before the first message that was unread
// when the document opened. One message at a time has something open: the reaction picker,
// the edit form or the delete question. Scrolled up while new messages are unread, a button
// jumps down to them. The timeline's roots show their thread (reply count, participants,
// resolved) and a Reply action, which open the thread panel; the panel shows a thread with a
// list of its own. A root's anchor quote shows above its text. Each `@Name` a message mentions
// is marked (its name read through `nameOf`), a mention of the user more; `reveal` scrolls to
// a message and gives it focus (a notification's jump). A message's actions are a toolbar
// beside it (message-actions.js); on a touch screen its "⋯" button or a long press opens its
// action sheet, and "More reactions" the emoji picker, both dialogs that give focus back.

import { STATUS } from '@docchat/client';
import { jumboEmojiCount, QUICK_REACTIONS } from '../emoji.js';
import { plainText } from '../markdown.js';
import { countOf } from '../words.js';
import { openActionSheet } from './action-sheet.js';
import { fillAvatar } from './avatar.js';
import { button, element } from './element.js';
import { openEmojiPicker } from './emoji-picker.js';
import { listenForLongPress } from './long-press.js';
import { allowedActions, deleteConfirmation, messageActions, messageEditor } from './message-actions.js';
import { reactedBy, reactionChips, reactionPicker } from './reactions.js';
import { richText } from './rich-text.js';
import { anchorQuoteBlock, threadSummary } from './thread-summary.js';
import { dayKey, dayLabel, formatFull, formatTime } from './time-format.js';

// Consecutive messages from one sender within this window share one header.
const CONTINUATION_MS = 5 * 60 * 1000;
const NEAR_BOTTOM_PX = 80;
// Older messages load once the top of the list comes this close.
const OLDER_MARGIN_PX = 200;

/** @typedef {import('@docchat/client').ShownMessage} ShownMessage */
/** @typedef {import('../mentions.js').Person} Person */

/**
 * What is open on which message; `draft` is the edit form's text.
 * @typedef {{kind: 'react' | 'edit' | 'delete', id: string, draft?: string}} Open
 */

/**
 * What the list shows: render() is given it whole each time.
 * @typedef {object} ListProps
 * @property {readonly ShownMessage[]} messages
 * @property {string} ownUserId
 * @property {boolean} loading
 * @property {boolean} hasOlder
 * @property {boolean} loadingOlder
 * @property {number | null} dividerAfter  the seq the "New messages" divider goes after
 * @property {number} unread
 * @property {(id: string) => string | undefined} nameOf  a user's name, when known
 */

/**
 * How one message shows.
 * @typedef {object} MessageContext
 * @property {boolean} own
 * @property {boolean} continued  under the previous message's header
 * @property {string} ownUserId
 * @property {Open['kind'] | null} open  what is open on it
 * @property {string | null | undefined} draft  the edit form's text, while it is open
 * @property {(draft: string) => void} onDraft
 * @property {boolean} threads  whether it shows its thread and a Reply action (the timeline's roots)
 * @property {Person[]} mentioned  the users it mentions whose names are known
 */

/** @typedef {{key: string, look: string, build: () => HTMLElement}} Row */

/** @typedef {{id: string | undefined, focus: string}} Focus  a control, by its message and name */

/**
 * @param {ShownMessage} message
 * @param {ShownMessage | undefined} previous
 */
function isContinuation(message, previous) {
  return (
    previous !== undefined &&
    previous.senderId === message.senderId &&
    Date.parse(message.createdAt) - Date.parse(previous.createdAt) < CONTINUATION_MS
  );
}

/** @param {ShownMessage} message */
function statusLine(message) {
  if (message.status === STATUS.PENDING) {
    return element('p', 'message-status', 'Sending…');
  }
  if (message.status === STATUS.STORED) {
    return element('p', 'message-status', 'Saved. Others will see it once live updates resume.');
  }
  const line = element('p', 'message-status message-status-failed');
  line.append(element('span', '', `Not sent${message.reason ? `: ${message.reason}` : ''}. `));
  line.append(button('Retry', 'button button-link', { retry: message.id, testid: 'retry-send' }));
  return line;
}

/**
 * @param {ShownMessage} message
 * @param {MessageContext} context
 */
function messageText(message, { mentioned, ownUserId }) {
  const text = element('div', 'message-text');
  text.dataset.testid = 'message-text';
  if (message.deleted) {
    text.classList.add('message-deleted');
    text.textContent = 'Message deleted';
    return text;
  }
  text.dir = 'auto';
  // Not deleted, so it has text.
  const typed = /** @type {string} */ (message.text);
  // Only emoji (1 to 3): shown large, as they are.
  const jumbo = jumboEmojiCount(typed);
  if (jumbo > 0) {
    text.classList.add('message-jumbo');
    text.dataset.jumbo = String(jumbo);
    text.textContent = typed.trim();
    return text;
  }
  text.append(...richText(typed, mentioned, ownUserId));
  return text;
}

/** @param {string} editedAt */
function editedMarker(editedAt) {
  const marker = element('span', 'message-edited', '(edited)');
  marker.dataset.testid = 'message-edited';
  marker.title = `Edited ${formatFull(new Date(editedAt))}`;
  return marker;
}

// Reactions, the picker, and the edited mark or the delete question, for a message the server has.
/**
 * @param {ShownMessage} message
 * @param {MessageContext} context
 */
function messageExtras(message, { ownUserId, open }) {
  const extras = [reactionChips(message, ownUserId)];
  if (open === 'react') extras.push(reactionPicker(message, ownUserId));
  const footer = element('div', 'message-footer');
  if (message.editedAt) footer.append(editedMarker(message.editedAt));
  if (open === 'delete') footer.append(deleteConfirmation(message));
  if (footer.hasChildNodes()) extras.push(footer);
  return extras.filter((extra) => extra !== null);
}

/**
 * @param {ShownMessage} message
 * @param {MessageContext} context
 * @param {string} rowTestId
 */
function renderMessage(message, context, rowTestId) {
  const { own, continued, open, draft, onDraft, threads, ownUserId } = context;
  const item = element('li', 'message');
  item.classList.toggle('message-own', own);
  const mentionsMe = mentionIds(message).includes(ownUserId) && !message.deleted;
  item.classList.toggle('message-mentions-me', mentionsMe);
  item.classList.toggle('message-continued', continued);
  Object.assign(item.dataset, {
    testid: rowTestId,
    id: message.id,
    senderId: message.senderId,
    status: message.status,
    createdAt: message.createdAt,
    deleted: String(message.deleted === true),
    edited: String(Boolean(message.editedAt)),
    mentionsMe: String(mentionsMe),
  });
  // Only the server's copy has a seq; ours waiting for it has none.
  if (Number.isInteger(message.seq)) item.dataset.seq = String(message.seq);

  const avatar = element('span', 'avatar');
  avatar.setAttribute('aria-hidden', 'true');
  fillAvatar(avatar, { id: message.senderId, name: message.senderName });

  const body = element('div', 'message-body');
  const meta = element('div', 'message-meta');
  const sender = element('span', 'message-sender', message.senderName);
  sender.dataset.testid = 'message-sender';
  const created = new Date(message.createdAt);
  const time = element('time', 'message-time', formatTime(created));
  time.dateTime = message.createdAt;
  time.title = formatFull(created);
  meta.append(sender, time);
  // The edit form opens with the message's text as its draft.
  const content = open === 'edit' ? messageEditor(message, /** @type {string} */ (draft), onDraft) : messageText(message, context);
  const quote = anchorQuoteBlock(message);
  body.append(...(quote ? [quote] : []), meta, content);
  if (message.status !== STATUS.SENT) body.append(statusLine(message));
  else if (!message.deleted) body.append(...messageExtras(message, context));
  // A deleted root keeps its thread: it still opens.
  if (threads && message.thread) body.append(threadSummary(message));

  item.append(avatar, body);
  // Beside the bubble, never over its text; not while it is being edited or deleted.
  if (message.status === STATUS.SENT && !message.deleted && open !== 'edit' && open !== 'delete') {
    item.append(messageActions(message, { own, pickerOpen: open === 'react', canReply: threads }));
  }
  return item;
}

/** @param {Date} date */
function daySeparator(date) {
  const item = element('li', 'separator day-separator');
  item.dataset.testid = 'day-separator';
  item.append(element('span', 'separator-label', dayLabel(date)));
  return item;
}

function unreadDivider() {
  const item = element('li', 'separator unread-divider');
  item.dataset.testid = 'unread-divider';
  item.append(element('span', 'separator-label', 'New messages'));
  return item;
}

/**
 * @param {ShownMessage} message
 * @param {number} dividerAfter
 * @param {string} ownUserId
 */
function wasUnread(message, dividerAfter, ownUserId) {
  // Ours not yet confirmed have no seq (and are ours anyway).
  return (message.seq ?? 0) > dividerAfter && message.senderId !== ownUserId && !message.deleted;
}

/**
 * The ids of the users `message` mentions (none where the server sent something else).
 * @param {ShownMessage} message
 * @returns {string[]}
 */
function mentionIds({ mentions }) {
  return Array.isArray(mentions) ? mentions.filter((id) => typeof id === 'string') : [];
}

/**
 * The users `message` mentions whose names are known.
 * @param {ShownMessage} message
 * @param {(id: string) => string | undefined} nameOf
 * @returns {Person[]}
 */
function mentionedIn(message, nameOf) {
  return mentionIds(message).flatMap((id) => {
    const name = nameOf(id);
    return name ? [{ id, name }] : [];
  });
}

/**
 * The rows to show: `{key, look, build}`, where a row whose look is unchanged is kept.
 * @param {readonly ShownMessage[]} messages
 * @param {{ownUserId: string, dividerAfter: number | null, open: Open | null, onDraft: (draft: string) => void,
 *   threads: boolean, rowTestId: string, nameOf: (id: string) => string | undefined}} options
 */
function rowsOf(messages, { ownUserId, dividerAfter, open, onDraft, threads, rowTestId, nameOf }) {
  /** @type {Row[]} */
  const rows = [];
  /** @type {ShownMessage | undefined} */
  let previous;
  let dividerDue = dividerAfter !== null;
  for (const message of messages) {
    const created = new Date(message.createdAt);
    let separated = false;
    if (!previous || dayKey(created) !== dayKey(new Date(previous.createdAt))) {
      const label = dayLabel(created);
      rows.push({ key: `day:${dayKey(created)}`, look: label, build: () => daySeparator(created) });
      separated = true;
    }
    // Due only when there is a divider to place.
    if (dividerDue && wasUnread(message, /** @type {number} */ (dividerAfter), ownUserId)) {
      rows.push({ key: 'unread', look: '', build: unreadDivider });
      dividerDue = false;
      separated = true;
    }
    const mine = open?.id === message.id;
    const context = {
      own: message.senderId === ownUserId,
      continued: !separated && isContinuation(message, previous),
      ownUserId,
      open: mine ? open.kind : null,
      draft: mine ? open.draft : null,
      onDraft,
      // Only roots have threads; ours not yet confirmed cannot be replied to yet.
      threads: threads && message.threadId == null && message.status === STATUS.SENT,
      mentioned: mentionedIn(message, nameOf),
    };
    const look = JSON.stringify([message, context.own, context.continued, context.open, context.mentioned]);
    rows.push({ key: `message:${message.id}`, look, build: () => renderMessage(message, context, rowTestId) });
    previous = message;
  }
  return rows;
}

/**
 * @param {object} parts
 * @param {HTMLElement} parts.scroller  scrolls the list
 * @param {HTMLElement} parts.list
 * @param {HTMLElement} parts.empty  shown while there is no message
 * @param {HTMLButtonElement} [parts.olderButton]  for a list that pages back
 * @param {HTMLButtonElement} [parts.jumpButton]  holds a `.jump-label`, for a list with unread messages
 * @param {(id: string) => void} parts.onRetry
 * @param {() => void} [parts.onLoadOlder]
 * @param {(id: string, text: string) => void} parts.onEdit
 * @param {(id: string) => void} parts.onDelete
 * @param {(id: string, emoji: string, on: boolean) => void} parts.onReact
 * @param {() => void} [parts.onScroll]
 * @param {(rootId: string) => void} [parts.onOpenThread]  given, roots show their thread and a Reply action
 * @param {string} [parts.rowTestId]  each message row's data-testid
 */
export function createMessageList(parts) {
  const { scroller, list, empty, olderButton, jumpButton, rowTestId = 'message' } = parts;
  const { onRetry, onLoadOlder = () => {}, onEdit, onDelete, onReact, onScroll = () => {}, onOpenThread } = parts;
  const threads = onOpenThread !== undefined;
  const rowSelector = `[data-testid=${rowTestId}]`;
  /** @type {Map<string, {node: HTMLElement, look: string}>} */
  const rendered = new Map();
  /** @type {ListProps | null} */
  let shown = null;
  /** @type {Open | null} */
  let open = null;
  // Which control takes focus after the next draw.
  /** @type {Focus | null} */
  let focusNext = null;

  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;

  function showJump() {
    if (!jumpButton) return;
    const unread = shown?.unread ?? 0;
    jumpButton.hidden = unread === 0 || atBottom();
    /** @type {HTMLElement} */ (jumpButton.querySelector('.jump-label')).textContent = countOf(unread, 'new message');
  }

  // The first message the reader sees, by id, and where its bottom is.
  /** @returns {{id: string, bottom: number} | null} */
  function firstInView() {
    const top = scroller.getBoundingClientRect().top;
    for (const row of list.querySelectorAll(rowSelector)) {
      const { bottom } = row.getBoundingClientRect();
      const { id } = /** @type {HTMLElement} */ (row).dataset;
      if (bottom > top && id) return { id, bottom };
    }
    return null;
  }

  /**
   * @param {Open | null} next
   * @param {Focus | null} focus
   */
  function setOpen(next, focus) {
    open = next;
    focusNext = focus;
    if (shown) draw(shown);
  }

  /** @param {Focus} target */
  function focusIn(target) {
    const node = rendered.get(`message:${target.id}`)?.node;
    /** @type {HTMLElement | null | undefined} */
    const control = node?.querySelector(`[data-focus="${CSS.escape(target.focus)}"]`);
    control?.focus();
    if (control instanceof HTMLTextAreaElement) control.setSelectionRange(control.value.length, control.value.length);
  }

  // A control that was focused keeps focus when its message is drawn again.
  /** @returns {Focus | null} */
  function focusedControl() {
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    /** @type {HTMLElement | null | undefined} */
    const row = active?.closest(rowSelector);
    const id = row?.dataset.id;
    return active && list.contains(active) && active.dataset.focus ? { id, focus: active.dataset.focus } : null;
  }

  /** @param {Row[]} rows */
  function reconcile(rows) {
    const seen = new Set();
    rows.forEach((row, index) => {
      let entry = rendered.get(row.key);
      if (entry?.look !== row.look) {
        const fresh = row.build();
        entry?.node.replaceWith(fresh);
        entry = { node: fresh, look: row.look };
        rendered.set(row.key, entry);
      }
      if (list.children[index] !== entry.node) list.insertBefore(entry.node, list.children[index] ?? null);
      seen.add(row.key);
    });
    for (const [key, entry] of rendered) {
      if (!seen.has(key)) {
        entry.node.remove();
        rendered.delete(key);
      }
    }
  }

  /** @param {ListProps} props */
  function draw(props) {
    const { messages, ownUserId, dividerAfter, nameOf } = props;
    const refocus = focusNext ?? focusedControl();
    focusNext = null;
    if (open && !messages.some((message) => message.id === open?.id && !message.deleted)) open = null;
    /** @param {string} draft */
    const onDraft = (draft) => {
      // Only the edit form, which shows while it is open, has a draft.
      /** @type {Open} */ (open).draft = draft;
    };
    reconcile(rowsOf(messages, { ownUserId, dividerAfter, open, onDraft, threads, rowTestId, nameOf }));
    if (refocus && !list.contains(document.activeElement)) focusIn(refocus);
  }

  olderButton?.addEventListener('click', onLoadOlder);
  // Scrolling up to the top loads older messages by itself; the button stays for the keyboard.
  // Measured when asked (an observer's last entry may be a frame old).
  const loadOlderInView = () => {
    if (!olderButton || olderButton.hidden || olderButton.disabled) return;
    const near = scroller.getBoundingClientRect().top - OLDER_MARGIN_PX;
    if (olderButton.getBoundingClientRect().bottom > near) onLoadOlder();
  };
  if (olderButton && typeof IntersectionObserver === 'function') {
    const observer = new IntersectionObserver(loadOlderInView, { root: scroller, rootMargin: `${OLDER_MARGIN_PX}px 0px 0px 0px` });
    observer.observe(olderButton);
  }
  jumpButton?.addEventListener('click', () => {
    scroller.scrollTop = scroller.scrollHeight;
    scroller.focus();
  });
  scroller.addEventListener('scroll', () => {
    showJump();
    onScroll();
  });

  /** @param {string} id */
  const shownMessage = (id) => shown?.messages.find((message) => message.id === id);

  list.addEventListener('click', (event) => {
    const control = /** @type {Element} */ (event.target).closest('button');
    if (!control || !list.contains(control)) return;
    const { retry, react, action, messageId: id, on } = control.dataset;
    if (retry) onRetry(retry);
    // Every other control names its message.
    if (id === undefined) return;
    if (react) {
      setOpen(null, { id, focus: 'react' });
      onReact(id, react, on === 'true');
    }
    if (action === 'more') {
      openSheet(id);
    } else if (action === 'more-reactions') {
      pickReaction(id, 'more-reactions');
    } else {
      act(action, id);
    }
  });

  /**
   * Does `action` to the message `id`: from its toolbar, its delete question or its sheet.
   * @param {string | undefined} action
   * @param {string} id
   */
  function act(action, id) {
    if (action === 'thread' || action === 'reply') {
      onOpenThread?.(id);
    } else if (action === 'react') {
      setOpen(open?.kind === 'react' && open.id === id ? null : { kind: 'react', id }, { id, focus: 'react' });
    } else if (action === 'edit') {
      setOpen({ kind: 'edit', id, draft: shownMessage(id)?.text }, { id, focus: 'edit-text' });
    } else if (action === 'delete') {
      setOpen({ kind: 'delete', id }, { id, focus: 'confirm-delete' });
    } else if (action === 'confirm-delete') {
      setOpen(null, null);
      onDelete(id);
    } else if (action === 'cancel') {
      // Cancel shows only while something is open.
      setOpen(null, { id, focus: /** @type {Open} */ (open).kind });
    }
  }

  // Focus goes back to the control `focus` of message `id`, or else to its "⋯" or React button
  // (what it was opened from may be gone: the message was drawn again), or to the list when
  // the message itself is gone.
  /**
   * @param {string} id
   * @param {string} focus
   */
  function focusBack(id, focus) {
    for (const name of [focus, 'more', 'react']) {
      focusIn({ id, focus: name });
      if (document.activeElement instanceof HTMLElement && document.activeElement.dataset.focus === name) return;
    }
    scroller.focus();
  }

  /**
   * Opens the emoji picker for a reaction to message `id`; focus goes back to `from` after.
   * @param {string} id
   * @param {string} from
   */
  function pickReaction(id, from) {
    const message = shownMessage(id);
    const ownUserId = shown?.ownUserId ?? '';
    if (!message) return;
    openEmojiPicker({
      near: list,
      title: 'Add a reaction',
      pressed: (emoji) => reactedBy(message, emoji, ownUserId),
      restoreFocus: () => focusBack(id, from),
      onPick: (emoji) => {
        setOpen(null, { id, focus: from === 'more-reactions' ? 'react' : from });
        onReact(id, emoji, !reactedBy(message, emoji, ownUserId));
      },
    });
  }

  /**
   * Opens the action sheet of message `id` (its "⋯" button, or a long press).
   * @param {string} id
   */
  function openSheet(id) {
    const message = shownMessage(id);
    const ownUserId = shown?.ownUserId ?? '';
    if (!message || message.deleted || message.status !== STATUS.SENT) return;
    const own = message.senderId === ownUserId;
    const canReply = threads && message.threadId == null;
    openActionSheet({
      near: list,
      title: `${message.senderName}: ${plainText(message.text ?? '')}`.slice(0, 120),
      reactions: QUICK_REACTIONS.map(([emoji, name]) => ({ emoji, name, mine: reactedBy(message, emoji, ownUserId) })),
      actions: allowedActions({ own, canReply }),
      restoreFocus: () => focusBack(id, 'more'),
      onChoose: (choice) => {
        if ('react' in choice) onReact(id, choice.react, choice.on);
        else if (choice.action === 'more-reactions') pickReaction(id, 'more');
        else act(choice.action, id);
      },
    });
  }

  listenForLongPress({ list, scroller, rowSelector, onLongPress: openSheet });

  list.addEventListener('submit', (event) => {
    event.preventDefault();
    // Only the edit form submits: it is open, with its draft.
    const { id, draft } = /** @type {Open & {draft: string}} */ (open);
    const text = draft.trim();
    if (!text) return;
    const before = shownMessage(id)?.text;
    setOpen(null, { id, focus: 'edit' });
    if (text !== before) onEdit(id, text);
  });

  list.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !open) return;
    event.preventDefault();
    setOpen(null, { id: open.id, focus: open.kind });
  });

  return {
    /** Whether the newest messages are in view. */
    atBottom,

    /** @param {ListProps} props */
    render(props) {
      const { messages, ownUserId, loading, hasOlder, loadingOlder } = props;
      const firstBefore = list.querySelector(rowSelector);
      const fromBottom = scroller.scrollHeight - scroller.scrollTop;
      const nearBottom = atBottom();
      // Right at the end, not only near it: a draw that adds nothing there keeps it so.
      const atEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 2;
      const lastBefore = shown?.messages.at(-1)?.id;
      const anchor = nearBottom ? null : firstInView();

      shown = props;
      draw(props);

      empty.hidden = messages.length > 0;
      empty.textContent = loading ? 'Loading messages…' : 'No messages yet. Start the conversation.';
      if (olderButton) {
        olderButton.hidden = !hasOlder;
        olderButton.disabled = loadingOlder;
        olderButton.textContent = loadingOlder ? 'Loading…' : 'Load older messages';
      }

      const newest = messages.at(-1);
      const newAtEnd = newest !== undefined && newest.id !== lastBefore;
      const ownNewMessage = newAtEnd && newest.senderId === ownUserId;
      if (atEnd || (nearBottom && newAtEnd) || ownNewMessage) {
        scroller.scrollTop = scroller.scrollHeight;
      } else if (firstBefore && list.querySelector(rowSelector) !== firstBefore) {
        // Older messages went in above: keep what the reader was looking at in place (its
        // bottom: the message may lose its header, now continuing the one before).
        const node = anchor && rendered.get(`message:${anchor.id}`)?.node;
        if (anchor && node) scroller.scrollTop += node.getBoundingClientRect().bottom - anchor.bottom;
        else scroller.scrollTop = scroller.scrollHeight - fromBottom;
      }
      showJump();
      // Still at the top after a page came in (a short page): the next one, once this is drawn.
      if (!loadingOlder) requestAnimationFrame(loadOlderInView);
    },

    /** Scrolls the "New messages" divider to the top; says whether there is one. */
    revealDivider() {
      const node = rendered.get('unread')?.node;
      if (!node) return false;
      scroller.scrollTop += node.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      showJump();
      return true;
    },

    /**
     * Scrolls to the message with this id and gives it focus; says whether it is shown.
     * @param {string} id
     */
    reveal(id) {
      const node = rendered.get(`message:${id}`)?.node;
      if (!node) return false;
      for (const old of list.querySelectorAll('.message-revealed')) old.classList.remove('message-revealed');
      node.classList.add('message-revealed');
      // Focusable by script only, so a keyboard user goes on from there.
      node.tabIndex = -1;
      node.scrollIntoView({ block: 'center' });
      node.focus({ preventScroll: true });
      showJump();
      return true;
    },

    clear() {
      list.replaceChildren();
      rendered.clear();
      shown = null;
      open = null;
      scroller.scrollTop = 0;
      if (jumpButton) jumpButton.hidden = true;
      // Nothing of the document closed stays on screen: its history is not there to load.
      if (olderButton) olderButton.hidden = true;
      empty.hidden = true;
    },
  };
}
