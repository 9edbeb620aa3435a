// The message list: keyed DOM updates (unchanged rows keep their elements, so focus and
// scroll survive), all user text through textContent. Rows are the messages, a separator
// for each day, and the "New messages" divider before the first message that was unread
// when the document opened. One message at a time has something open: the reaction picker,
// the edit form or the delete question. Scrolled up while new messages are unread, a button
// jumps down to them.

import { STATUS } from '../message-store.js';
import { countOf } from '../words.js';
import { fillAvatar } from './avatar.js';
import { button, element } from './element.js';
import { linkedText } from './linked-text.js';
import { deleteConfirmation, messageActions, messageEditor } from './message-actions.js';
import { reactionChips, reactionPicker } from './reactions.js';
import { dayKey, dayLabel, formatFull, formatTime } from './time-format.js';

// Consecutive messages from one sender within this window share one header.
const CONTINUATION_MS = 5 * 60 * 1000;
const NEAR_BOTTOM_PX = 80;

function isContinuation(message, previous) {
  return (
    previous !== undefined &&
    previous.senderId === message.senderId &&
    Date.parse(message.createdAt) - Date.parse(previous.createdAt) < CONTINUATION_MS
  );
}

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

function messageText(message) {
  const text = element('p', 'message-text');
  text.dataset.testid = 'message-text';
  if (message.deleted) {
    text.classList.add('message-deleted');
    text.textContent = 'Message deleted';
    return text;
  }
  text.dir = 'auto';
  text.append(...linkedText(message.text));
  return text;
}

function editedMarker(message) {
  const marker = element('span', 'message-edited', '(edited)');
  marker.dataset.testid = 'message-edited';
  marker.title = `Edited ${formatFull(new Date(message.editedAt))}`;
  return marker;
}

// Reactions, the picker, and the actions or the delete question, for a message the server has.
function messageExtras(message, { own, ownUserId, open }) {
  const extras = [reactionChips(message, ownUserId)];
  if (open === 'react') extras.push(reactionPicker(message, ownUserId));
  const footer = element('div', 'message-footer');
  if (message.editedAt) footer.append(editedMarker(message));
  if (open === 'delete') footer.append(deleteConfirmation(message));
  else if (open !== 'edit') footer.append(messageActions(message, { own, pickerOpen: open === 'react' }));
  return [...extras, footer].filter(Boolean);
}

function renderMessage(message, context) {
  const { own, continued, open, draft, onDraft } = context;
  const item = element('li', 'message');
  item.classList.toggle('message-own', own);
  item.classList.toggle('message-continued', continued);
  Object.assign(item.dataset, {
    testid: 'message',
    id: message.id,
    senderId: message.senderId,
    status: message.status,
    createdAt: message.createdAt,
    deleted: String(message.deleted === true),
    edited: String(Boolean(message.editedAt)),
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
  body.append(meta, open === 'edit' ? messageEditor(message, draft, onDraft) : messageText(message));
  if (message.status !== STATUS.SENT) body.append(statusLine(message));
  else if (!message.deleted) body.append(...messageExtras(message, context));

  item.append(avatar, body);
  return item;
}

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

function wasUnread(message, dividerAfter, ownUserId) {
  return message.seq > dividerAfter && message.senderId !== ownUserId && !message.deleted;
}

/** The rows to show: `{key, look, build}`, where a row whose look is unchanged is kept. */
function rowsOf(messages, { ownUserId, dividerAfter, open, onDraft }) {
  const rows = [];
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
    if (dividerDue && wasUnread(message, dividerAfter, ownUserId)) {
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
    };
    const look = JSON.stringify([message, context.own, context.continued, context.open]);
    rows.push({ key: `message:${message.id}`, look, build: () => renderMessage(message, context) });
    previous = message;
  }
  return rows;
}

export function createMessageList(parts) {
  const { scroller, list, empty, olderButton, jumpButton } = parts;
  const { onRetry, onLoadOlder, onEdit, onDelete, onReact, onScroll } = parts;
  const rendered = new Map();
  let shown = null;
  // What is open on which message: {kind: 'react' | 'edit' | 'delete', id, draft}.
  let open = null;
  // Which control takes focus after the next draw: {id, focus}.
  let focusNext = null;

  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;

  function showJump() {
    const unread = shown?.unread ?? 0;
    jumpButton.hidden = unread === 0 || atBottom();
    jumpButton.querySelector('.jump-label').textContent = countOf(unread, 'new message');
  }

  function setOpen(next, focus) {
    open = next;
    focusNext = focus;
    if (shown) draw(shown);
  }

  function focusIn(target) {
    const node = rendered.get(`message:${target.id}`)?.node;
    const control = node?.querySelector(`[data-focus="${CSS.escape(target.focus)}"]`);
    control?.focus();
    if (control?.tagName === 'TEXTAREA') control.setSelectionRange(control.value.length, control.value.length);
  }

  // A control that was focused keeps focus when its message is drawn again.
  function focusedControl() {
    const active = document.activeElement;
    const id = active?.closest('[data-testid=message]')?.dataset.id;
    return list.contains(active) && active.dataset.focus ? { id, focus: active.dataset.focus } : null;
  }

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

  function draw(props) {
    const { messages, ownUserId, dividerAfter } = props;
    const refocus = focusNext ?? focusedControl();
    focusNext = null;
    if (open && !messages.some((message) => message.id === open.id && !message.deleted)) open = null;
    const onDraft = (draft) => {
      open.draft = draft;
    };
    reconcile(rowsOf(messages, { ownUserId, dividerAfter, open, onDraft }));
    if (refocus && !list.contains(document.activeElement)) focusIn(refocus);
  }

  olderButton.addEventListener('click', onLoadOlder);
  jumpButton.addEventListener('click', () => {
    scroller.scrollTop = scroller.scrollHeight;
    scroller.focus();
  });
  scroller.addEventListener('scroll', () => {
    showJump();
    onScroll();
  });

  list.addEventListener('click', (event) => {
    const control = event.target.closest('button');
    if (!control || !list.contains(control)) return;
    const { retry, react, action, messageId: id, on } = control.dataset;
    if (retry) onRetry(retry);
    if (react) {
      setOpen(null, { id, focus: 'react' });
      onReact(id, react, on === 'true');
    }
    if (action === 'react') {
      setOpen(open?.kind === 'react' && open.id === id ? null : { kind: 'react', id }, { id, focus: 'react' });
    } else if (action === 'edit') {
      const { text } = shown.messages.find((message) => message.id === id);
      setOpen({ kind: 'edit', id, draft: text }, { id, focus: 'edit-text' });
    } else if (action === 'delete') {
      setOpen({ kind: 'delete', id }, { id, focus: 'confirm-delete' });
    } else if (action === 'confirm-delete') {
      setOpen(null, null);
      onDelete(id);
    } else if (action === 'cancel') {
      setOpen(null, { id, focus: open.kind });
    }
  });

  list.addEventListener('submit', (event) => {
    event.preventDefault();
    const { id, draft } = open;
    const text = draft.trim();
    if (!text) return;
    const before = shown.messages.find((message) => message.id === id)?.text;
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

    render(props) {
      const { messages, ownUserId, loading, hasOlder, loadingOlder } = props;
      const firstBefore = list.querySelector('[data-testid=message]');
      const fromBottom = scroller.scrollHeight - scroller.scrollTop;
      const nearBottom = atBottom();
      const lastBefore = shown?.messages.at(-1)?.id;

      shown = props;
      draw(props);

      empty.hidden = messages.length > 0;
      empty.textContent = loading ? 'Loading messages…' : 'No messages yet. Start the conversation.';
      olderButton.hidden = !hasOlder;
      olderButton.disabled = loadingOlder;
      olderButton.textContent = loadingOlder ? 'Loading…' : 'Load older messages';

      const newest = messages.at(-1);
      const ownNewMessage = newest && newest.id !== lastBefore && newest.senderId === ownUserId;
      if (nearBottom || ownNewMessage) {
        scroller.scrollTop = scroller.scrollHeight;
      } else if (firstBefore && list.querySelector('[data-testid=message]') !== firstBefore) {
        // Older messages went in above: keep what the reader was looking at in place.
        scroller.scrollTop = scroller.scrollHeight - fromBottom;
      }
      showJump();
    },

    clear() {
      list.replaceChildren();
      rendered.clear();
      shown = null;
      open = null;
      scroller.scrollTop = 0;
      jumpButton.hidden = true;
    },
  };
}
