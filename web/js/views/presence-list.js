// Who is here: an avatar for each of the first few others present in the open document (the
// name on hover), and a line that names them with a count ("Alice, Bob and 3 others here",
// web/js/people-text.js). The user is not among them. The list keeps every present user's id,
// the user's too, in `data-user-ids`.

import { othersHere, presenceText } from '../people-text.js';
import { fillAvatar } from './avatar.js';

// Avatars beyond this many would crowd the header: the line counts the rest.
const AVATARS_SHOWN = 3;

/** @typedef {import('../identity.js').User} User */

/** @param {User} user */
function presentUser(user) {
  const item = document.createElement('li');
  item.className = 'presence-user';
  item.title = user.name;
  Object.assign(item.dataset, { testid: 'presence-user', userId: user.id });
  const avatar = document.createElement('span');
  avatar.className = 'avatar avatar-small';
  fillAvatar(avatar, user);
  item.append(avatar);
  return item;
}

/**
 * @param {HTMLElement} list  the avatars (hidden from screen readers: the line says it all)
 * @param {HTMLElement} summary  the line
 */
export function createPresenceList(list, summary) {
  let shown = '';
  return {
    /**
     * @param {User[]} users
     * @param {string} ownUserId
     */
    render(users, ownUserId) {
      // Redrawn only on a change, so the tooltip under the pointer survives other updates.
      const key = JSON.stringify([users, ownUserId]);
      if (key === shown) return;
      shown = key;
      list.dataset.userIds = users.map((user) => user.id).join(' ');
      list.replaceChildren(...othersHere(users, ownUserId).slice(0, AVATARS_SHOWN).map(presentUser));
      summary.textContent = presenceText(users, ownUserId);
    },
  };
}
