// The message list: keyed DOM updates (unchanged messages keep their elements, so focus and
// scroll survive), all user text through textContent.

import { STATUS } from '../message-store.js';
import { fillAvatar } from './avatar.js';

// Consecutive messages from one sender within this window share one header.
const CONTINUATION_MS = 5 * 60 * 1000;
const NEAR_BOTTOM_PX = 80;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

function formatTime(date) {
  const today = new Date().toDateString() === date.toDateString();
  return (today ? timeFormat : dateTimeFormat).format(date);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

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
  const retry = element('button', 'button button-link', 'Retry');
  retry.type = 'button';
  retry.dataset.retry = message.id;
  retry.dataset.testid = 'retry-send';
  line.append(retry);
  return line;
}

function renderMessage(message, { own, continued }) {
  const item = element('li', 'message');
  item.classList.toggle('message-own', own);
  item.classList.toggle('message-continued', continued);
  Object.assign(item.dataset, {
    testid: 'message',
    id: message.id,
    senderId: message.senderId,
    status: message.status,
    createdAt: message.createdAt,
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
  time.title = fullFormat.format(created);
  meta.append(sender, time);

  const text = element('p', 'message-text', message.text);
  text.dataset.testid = 'message-text';
  body.append(meta, text);
  if (message.status !== STATUS.SENT) body.append(statusLine(message));

  item.append(avatar, body);
  return item;
}

function renderKey(message, context) {
  return [message.status, message.reason, message.text, context.own, context.continued].join('\u0000');
}

export function createMessageList({ scroller, list, empty, olderButton, onRetry, onLoadOlder }) {
  const rendered = new Map();

  olderButton.addEventListener('click', onLoadOlder);
  list.addEventListener('click', (event) => {
    const retry = event.target.closest('[data-retry]');
    if (retry) onRetry(retry.dataset.retry);
  });

  function reconcile(messages, ownUserId) {
    const seen = new Set();
    let previous;
    messages.forEach((message, index) => {
      const context = {
        own: message.senderId === ownUserId,
        continued: isContinuation(message, previous),
      };
      const key = renderKey(message, context);
      let entry = rendered.get(message.id);
      if (entry?.key !== key) {
        const fresh = renderMessage(message, context);
        entry?.node.replaceWith(fresh);
        entry = { node: fresh, key };
        rendered.set(message.id, entry);
      }
      if (list.children[index] !== entry.node) list.insertBefore(entry.node, list.children[index] ?? null);
      seen.add(message.id);
      previous = message;
    });
    for (const [id, entry] of rendered) {
      if (!seen.has(id)) {
        entry.node.remove();
        rendered.delete(id);
      }
    }
  }

  return {
    render({ messages, ownUserId, loading, hasOlder, loadingOlder }) {
      const firstBefore = list.firstElementChild;
      const fromBottom = scroller.scrollHeight - scroller.scrollTop;
      const nearBottom = fromBottom - scroller.clientHeight < NEAR_BOTTOM_PX;
      const lastBefore = list.lastElementChild?.dataset.id;

      reconcile(messages, ownUserId);

      empty.hidden = messages.length > 0;
      empty.textContent = loading ? 'Loading messages…' : 'No messages yet. Start the conversation.';
      olderButton.hidden = !hasOlder;
      olderButton.disabled = loadingOlder;
      olderButton.textContent = loadingOlder ? 'Loading…' : 'Load older messages';

      const newest = messages.at(-1);
      const ownNewMessage = newest && newest.id !== lastBefore && newest.senderId === ownUserId;
      if (nearBottom || ownNewMessage) {
        scroller.scrollTop = scroller.scrollHeight;
      } else if (firstBefore && list.firstElementChild !== firstBefore) {
        // Older messages went in above: keep what the reader was looking at in place.
        scroller.scrollTop = scroller.scrollHeight - fromBottom;
      }
    },

    clear() {
      list.replaceChildren();
      rendered.clear();
      scroller.scrollTop = 0;
    },
  };
}
