// A message's reactions as chips ("👍 2"; pressed when one of them is yours: clicking takes
// it back, else adds yours) and the small picker of common ones, with a button that opens the
// emoji picker for any other.

import { QUICK_REACTIONS } from '../emoji.js';
import { button, element } from './element.js';

/** @typedef {import('@docchat/client').ShownMessage} ShownMessage */

/**
 * @param {ShownMessage} message
 * @param {string} emoji
 * @param {string} userId
 */
export function reactedBy(message, emoji, userId) {
  return (message.reactions?.[emoji] ?? []).includes(userId);
}

/**
 * @param {string[]} users
 * @param {string} ownUserId
 */
function whoReacted(users, ownUserId) {
  const others = users.filter((id) => id !== ownUserId).length;
  if (others === users.length) return others === 1 ? '1 person' : `${others} people`;
  if (others === 0) return 'You';
  return `You and ${others} other${others === 1 ? '' : 's'}`;
}

/**
 * @param {ShownMessage} message
 * @param {string} emoji
 * @param {string[]} users  who reacted so
 * @param {string} ownUserId
 */
function chip(message, emoji, users, ownUserId) {
  const mine = users.includes(ownUserId);
  const node = button('', 'reaction', {
    react: emoji,
    on: String(!mine),
    messageId: message.id,
    testid: 'reaction',
    focus: `reaction:${emoji}`,
  });
  node.setAttribute('aria-pressed', String(mine));
  node.setAttribute('aria-label', `${emoji} ${users.length}`);
  node.title = `${whoReacted(users, ownUserId)} reacted with ${emoji}`;
  node.append(element('span', 'reaction-emoji', emoji), element('span', 'reaction-count', String(users.length)));
  return node;
}

/**
 * The chips, or null when nobody has reacted.
 * @param {ShownMessage} message
 * @param {string} ownUserId
 */
export function reactionChips(message, ownUserId) {
  const entries = Object.entries(message.reactions ?? {}).filter(([, users]) => users.length > 0);
  if (entries.length === 0) return null;
  const row = element('div', 'reactions');
  row.append(...entries.map(([emoji, users]) => chip(message, emoji, users, ownUserId)));
  return row;
}

/**
 * @param {ShownMessage} message
 * @param {string} ownUserId
 */
export function reactionPicker(message, ownUserId) {
  const picker = element('div', 'reaction-picker');
  picker.id = `reactions-for-${message.id}`;
  picker.setAttribute('role', 'group');
  picker.setAttribute('aria-label', 'Pick a reaction');
  picker.append(
    ...QUICK_REACTIONS.map(([emoji, name]) => {
      const mine = reactedBy(message, emoji, ownUserId);
      const node = button(emoji, 'reaction-choice', {
        react: emoji,
        on: String(!mine),
        messageId: message.id,
        testid: 'reaction-choice',
        focus: `choice:${emoji}`,
      });
      node.setAttribute('aria-label', `${mine ? 'Take back' : 'React with'} ${name}`);
      return node;
    }),
  );
  // Any other emoji: the emoji picker's grid.
  const more = button('+', 'reaction-choice reaction-more', {
    action: 'more-reactions',
    messageId: message.id,
    testid: 'more-reactions',
    focus: 'more-reactions',
  });
  more.setAttribute('aria-label', 'More reactions');
  more.setAttribute('aria-haspopup', 'dialog');
  picker.append(more);
  return picker;
}
