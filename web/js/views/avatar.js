// Initials on a colour derived from the user id, so a sender is recognisable at a glance.

const HUES = [12, 38, 145, 175, 200, 222, 262, 292, 330];

/** @param {string} id */
function hueFor(id) {
  let hash = 0;
  // A string's characters each have a code point.
  for (const char of id) hash = (hash * 31 + /** @type {number} */ (char.codePointAt(0))) >>> 0;
  return HUES[hash % HUES.length];
}

/** @param {string} name */
function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters.map((word) => [...word][0].toUpperCase()).join('') || '?';
}

/**
 * @param {HTMLElement} element
 * @param {import('../identity.js').User} user
 */
export function fillAvatar(element, { id, name }) {
  element.textContent = initials(name);
  element.style.setProperty('--avatar-hue', String(hueFor(id)));
}
