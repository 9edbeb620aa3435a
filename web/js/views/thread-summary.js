// What a root shows of its thread: who took part (their avatars), how many replies, whether it
// is resolved, as one button that opens the thread; and the anchor's quote, the part of the
// document the thread is about, above the root's text.

import { anchorQuote } from '@docchat/client';
import { countOf } from '../words.js';
import { fillAvatar } from './avatar.js';
import { button, element } from './element.js';

/** @typedef {import('@docchat/client').ShownMessage} ShownMessage */
/** @typedef {import('@docchat/client').Person} Person */

/**
 * Overlapping avatars of `people`, most recent first; hidden from screen readers, which read
 * the names from the text beside them.
 * @param {readonly Person[]} people
 */
export function participantAvatars(people) {
  const row = element('span', 'participants');
  row.setAttribute('aria-hidden', 'true');
  for (const person of people) {
    const avatar = element('span', 'avatar avatar-tiny');
    fillAvatar(avatar, person);
    avatar.title = person.name;
    avatar.dataset.testid = 'participant';
    avatar.dataset.userId = person.id;
    row.append(avatar);
  }
  return row;
}

/**
 * "3 replies", and "resolved" when it is.
 * @param {ShownMessage} root  one with a thread
 */
export function threadCountLabel(root) {
  const { replyCount = 0, resolved = false } = root.thread ?? {};
  const replies = replyCount > 0 ? countOf(replyCount, 'reply', 'replies') : 'No replies';
  return resolved ? `${replies} · Resolved` : replies;
}

/**
 * The button that opens a root's thread.
 * @param {ShownMessage} root  one with a thread
 */
export function threadSummary(root) {
  const people = root.thread?.participants ?? [];
  const open = button('', 'thread-summary', {
    action: 'thread',
    messageId: root.id,
    testid: 'open-thread',
    focus: 'thread',
  });
  open.setAttribute('aria-controls', 'thread-panel');
  open.dataset.resolved = String(root.thread?.resolved === true);
  open.append(participantAvatars(people), element('span', 'thread-summary-count', threadCountLabel(root)));
  if (people.length) open.append(element('span', 'visually-hidden', `, from ${people.map((person) => person.name).join(', ')}`));
  return open;
}

/**
 * The anchor's quote, above the root's text, or null when it has none.
 * @param {ShownMessage} message
 */
export function anchorQuoteBlock(message) {
  const quote = anchorQuote(message);
  if (quote === null) return null;
  const block = element('blockquote', 'anchor-quote', quote);
  block.dir = 'auto';
  block.dataset.testid = 'anchor-quote';
  return block;
}
