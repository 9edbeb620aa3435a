// Who is here: an avatar for each user present in the open document, the name on hover and
// for screen readers.

import { fillAvatar } from './avatar.js';

/** @typedef {import('../identity.js').User} User */

/**
 * @param {User} user
 * @param {boolean} own
 */
function presentUser(user, own) {
  const label = own ? `${user.name} (you)` : user.name;
  const item = document.createElement('li');
  item.className = 'presence-user';
  item.title = label;
  Object.assign(item.dataset, { testid: 'presence-user', userId: user.id });
  const avatar = document.createElement('span');
  avatar.className = 'avatar avatar-small';
  avatar.setAttribute('aria-hidden', 'true');
  fillAvatar(avatar, user);
  const name = document.createElement('span');
  name.className = 'visually-hidden';
  name.textContent = label;
  item.append(avatar, name);
  return item;
}

/** @param {HTMLElement} list */
export function createPresenceList(list) {
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
      list.replaceChildren(...users.map((user) => presentUser(user, user.id === ownUserId)));
    },
  };
}
