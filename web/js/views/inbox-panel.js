// The bell in the top bar (the unread count) and the inbox panel it opens (a full-screen sheet
// on a phone): the notifications newest first, each a button saying who did what ("mentioned
// you", "replied"), an excerpt, the document and when, unread ones marked; "Load more" and
// "Mark all read". Picking one, Escape and Close are the app's to act on. User text only
// ever goes in through textContent.

import { plainText } from '../markdown.js';
import { countOf } from '../words.js';
import { fillAvatar } from './avatar.js';
import { element } from './element.js';
import { dayKey, dayLabel, formatFull, formatTime } from './time-format.js';

/** @typedef {import('@docchat/client').Notification} Notification */

/**
 * What the panel shows: render() is given it whole each time.
 * @typedef {object} InboxView
 * @property {readonly Notification[]} items  newest first
 * @property {number} unreadCount
 * @property {boolean} loading
 * @property {boolean} loaded
 * @property {boolean} failed
 * @property {boolean} hasMore
 */

/** What each kind of notification says its actor did. */
export const KIND_TEXT = Object.freeze({ mention: 'mentioned you', reply: 'replied' });
// The server counts unread items up to 100; the bell says "99+" from 100 on.
const SHOWN_MAX = 99;

/** @param {Date} date */
function when(date) {
  return dayKey(date) === dayKey(new Date()) ? formatTime(date) : `${dayLabel(date)}, ${formatTime(date)}`;
}

/**
 * @param {Notification} item
 * @param {(documentId: string) => string} documentTitle
 */
function inboxItem(item, documentTitle) {
  const unread = item.readAt == null;
  const card = element('button', 'inbox-item');
  card.type = 'button';
  Object.assign(card.dataset, { testid: 'inbox-item', id: item.id, unread: String(unread), kind: item.kind });
  const avatar = element('span', 'avatar avatar-small');
  avatar.setAttribute('aria-hidden', 'true');
  fillAvatar(avatar, item.actor);

  const body = element('span', 'inbox-item-body');
  const line = element('span', 'inbox-item-line');
  if (unread) line.append(element('span', 'visually-hidden', 'Unread: '));
  line.append(element('strong', '', item.actor.name), ` ${KIND_TEXT[item.kind]}`);
  const excerpt = element('span', 'inbox-item-excerpt', item.excerpt == null ? 'Message deleted' : plainText(item.excerpt));
  excerpt.classList.toggle('inbox-item-deleted', item.excerpt == null);
  excerpt.dir = 'auto';
  const meta = element('span', 'inbox-item-meta');
  const created = new Date(item.createdAt);
  const time = element('time', '', when(created));
  time.dateTime = item.createdAt;
  time.title = formatFull(created);
  meta.append(element('span', 'inbox-item-document', documentTitle(item.documentId)), ' · ', time);
  body.append(line, excerpt, meta);

  card.append(avatar, body);
  if (unread) {
    const dot = element('span', 'inbox-unread-dot');
    dot.setAttribute('aria-hidden', 'true');
    card.append(dot);
  }
  const entry = element('li', 'inbox-entry');
  entry.append(card);
  return entry;
}

/**
 * @param {object} parts
 * @param {HTMLButtonElement} parts.bell
 * @param {HTMLElement} parts.bellLabel  the bell's name (visually hidden)
 * @param {HTMLElement} parts.badge
 * @param {HTMLElement} parts.panel
 * @param {HTMLElement} parts.title  focusable (tabindex -1)
 * @param {HTMLElement} parts.list
 * @param {HTMLElement} parts.empty
 * @param {HTMLButtonElement} parts.moreButton
 * @param {HTMLButtonElement} parts.markAllButton
 * @param {HTMLButtonElement} parts.closeButton
 * @param {(documentId: string) => string} parts.documentTitle
 * @param {() => void} parts.onToggle  the bell pressed
 * @param {() => void} parts.onClose  Close or Escape
 * @param {() => void} parts.onMore
 * @param {() => void} parts.onMarkAll
 * @param {(id: string) => void} parts.onPick  an item chosen
 */
export function createInboxPanel(parts) {
  const { bell, bellLabel, badge, panel, title, list, empty, moreButton, markAllButton, closeButton } = parts;

  bell.addEventListener('click', parts.onToggle);
  closeButton.addEventListener('click', parts.onClose);
  moreButton.addEventListener('click', parts.onMore);
  markAllButton.addEventListener('click', parts.onMarkAll);
  list.addEventListener('click', (event) => {
    const card = /** @type {Element} */ (event.target).closest('button');
    if (card instanceof HTMLElement && card.dataset.id) parts.onPick(card.dataset.id);
  });
  panel.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    event.preventDefault();
    parts.onClose();
  });

  return {
    /** @param {number} count */
    showCount(count) {
      const shown = count > SHOWN_MAX ? `${SHOWN_MAX}+` : String(count);
      badge.hidden = count === 0;
      badge.textContent = shown;
      bell.dataset.unread = String(count);
      bellLabel.textContent = count === 0 ? 'Notifications' : `Notifications, ${shown} unread`;
    },

    /** @param {InboxView} view */
    render({ items, unreadCount, loading, loaded, failed, hasMore }) {
      panel.hidden = false;
      bell.setAttribute('aria-expanded', 'true');
      // Redrawn whole; the item that had focus keeps it.
      const focused = /** @type {HTMLElement | null} */ (list.querySelector('button:focus'))?.dataset.id;
      list.replaceChildren(...items.map((item) => inboxItem(item, parts.documentTitle)));
      if (focused) /** @type {HTMLElement | null} */ (list.querySelector(`[data-id="${CSS.escape(focused)}"]`))?.focus();
      empty.hidden = items.length > 0;
      if (failed) empty.textContent = "Couldn't load the notifications.";
      else if (!loaded) empty.textContent = 'Loading notifications…';
      else empty.textContent = 'No notifications yet.';
      moreButton.hidden = !hasMore;
      moreButton.disabled = loading;
      moreButton.textContent = loading ? 'Loading…' : 'Load more';
      markAllButton.disabled = unreadCount === 0;
      markAllButton.title = unreadCount === 0 ? 'Nothing unread' : `Mark ${countOf(unreadCount, 'notification')} read`;
    },

    /** Moves focus to the panel's title, as it opens. */
    focus() {
      title.focus();
    },

    hide() {
      panel.hidden = true;
      bell.setAttribute('aria-expanded', 'false');
    },
  };
}
