// Who is here and who is typing, in words: "Alice, Bob and 3 others here", "Alice and Bob are
// typing…". The user is never among the names: presence says "Only you here" when alone.
// Pure.

// Beyond this many, presence names the first ones and counts the rest.
const NAMES_SHOWN = 2;
// Beyond this many typists, the line names none.
const TYPISTS_NAMED = 2;

/** @typedef {{id: string, name: string}} Person */

/**
 * "A", "A and B", "A, B and 3 others".
 * @param {string[]} names
 * @param {number} shown  how many are named before the rest are counted
 */
function listOf(names, shown) {
  if (names.length <= shown + 1) {
    return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  }
  const rest = names.length - shown;
  return `${names.slice(0, shown).join(', ')} and ${rest} others`;
}

/**
 * The others present (the user left out), in the order given.
 * @param {readonly Person[]} users
 * @param {string} ownUserId
 */
export function othersHere(users, ownUserId) {
  return users.filter((user) => user.id !== ownUserId);
}

/**
 * The presence line: "Only you here", "Alice here", "Alice and Bob here",
 * "Alice, Bob and 3 others here"; "" while nobody is known to be here.
 * @param {readonly Person[]} users
 * @param {string} ownUserId
 */
export function presenceText(users, ownUserId) {
  const others = othersHere(users, ownUserId);
  if (others.length === 0) return users.length > 0 ? 'Only you here' : '';
  return `${listOf(
    others.map((user) => user.name),
    NAMES_SHOWN,
  )} here`;
}

/**
 * The typing line: "Alice is typing…", "Alice and Bob are typing…", "Several people are
 * typing…"; "" for nobody.
 * @param {readonly string[]} names
 */
export function typingText(names) {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length <= TYPISTS_NAMED) return `${names.join(' and ')} are typing…`;
  return 'Several people are typing…';
}
