// Mentions in message text, without the DOM: which `@` the caret is completing and what it
// has typed, who of the people matches it, inserting the chosen `@Name`, which chosen people
// the text still names when it is sent, and where a message's mentions are in its text.
//
// `@Name` counts only as a whole: after the start or a character that is not part of a word
// (so "bob@example.org" names nobody), and before the end or such a character (so "@Alicia"
// does not name Alice).

/** @typedef {{id: string, name: string}} Person */

/** How many people the server takes as one message's mentions. */
export const MAX_MENTIONS = 20;
/** How many people the autocomplete offers at once. */
export const MAX_OFFERED = 8;
// A query longer than the longest name can match nothing (names: up to 40 characters).
const MAX_QUERY = 40;

const WORD_CHARACTER = /[\p{L}\p{N}\p{M}_]/u;

/** @param {string | undefined} character  undefined: the text's edge */
const isBoundary = (character) => character === undefined || !WORD_CHARACTER.test(character);

/**
 * Lower case without accents, for matching: "Éva" and "eva" are one.
 * @param {string} text
 */
function folded(text) {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * The mention being typed at `caret`: from an `@` at a word's start up to the caret, on one
 * line, not starting with a space; null when the caret is not in one.
 * @param {string} text
 * @param {number} caret
 * @returns {{start: number, query: string} | null}  start: the `@`'s index
 */
export function mentionQuery(text, caret) {
  const before = text.slice(0, caret);
  const start = before.lastIndexOf('@');
  if (start < 0 || !isBoundary(before[start - 1])) return null;
  const query = before.slice(start + 1);
  if (query.length > MAX_QUERY || /[\n\r]/.test(query) || /^\s/.test(query)) return null;
  return { start, query };
}

/**
 * The people `query` matches, best first: a name that starts with it, then a name with a
 * later word that does; each group in name order. Case and accents do not matter.
 * @param {readonly Person[]} people
 * @param {string} query
 * @param {number} [limit]
 * @returns {Person[]}
 */
export function matchPeople(people, query, limit = MAX_OFFERED) {
  const wanted = folded(query);
  /** @type {{person: Person, rank: number}[]} */
  const found = [];
  for (const person of people) {
    const name = folded(person.name);
    if (name.startsWith(wanted)) found.push({ person, rank: 0 });
    else if (name.split(/\s+/).some((word) => word.startsWith(wanted))) found.push({ person, rank: 1 });
  }
  found.sort((a, b) => a.rank - b.rank || a.person.name.localeCompare(b.person.name));
  return found.slice(0, limit).map(({ person }) => person);
}

/**
 * `text` with what runs from `start` (the `@`) to `end` (the caret) replaced by `@Name` and a
 * space (unless one follows already); where the caret goes, after the space.
 * @param {string} text
 * @param {{start: number, end: number}} range
 * @param {string} name
 */
export function insertMention(text, { start, end }, name) {
  const after = text.slice(end);
  const inserted = /^\s/.test(after) ? `@${name}` : `@${name} `;
  return { text: text.slice(0, start) + inserted + after, caret: start + inserted.length + (inserted.endsWith(' ') ? 0 : 1) };
}

/**
 * Where `@name` stands whole in `text`: the index of each `@`.
 * @param {string} text
 * @param {string} name
 */
function placesOf(text, name) {
  const mention = `@${name}`;
  /** @type {number[]} */
  const places = [];
  for (let at = text.indexOf(mention); at >= 0; at = text.indexOf(mention, at + 1)) {
    if (isBoundary(text[at - 1]) && isBoundary(text[at + mention.length])) places.push(at);
  }
  return places;
}

/**
 * The ids of the `chosen` people whose `@Name` is still in `text`, each once, in the order
 * chosen; at most MAX_MENTIONS.
 * @param {string} text
 * @param {readonly Person[]} chosen
 */
export function mentionedIds(text, chosen) {
  const ids = new Set();
  for (const person of chosen) if (placesOf(text, person.name).length > 0) ids.add(person.id);
  return [...ids].slice(0, MAX_MENTIONS);
}

/**
 * `text` in runs: plain ones (person null) and each `@Name` of one of `people` (a message's
 * mentions, with their names). Where two names start at one `@`, the longer wins.
 * @param {string} text
 * @param {readonly Person[]} people
 * @returns {{text: string, person: Person | null}[]}
 */
export function mentionRuns(text, people) {
  /** @type {{at: number, length: number, person: Person}[]} */
  const found = [];
  for (const person of people) {
    if (!person.name) continue;
    for (const at of placesOf(text, person.name)) found.push({ at, length: person.name.length + 1, person });
  }
  found.sort((a, b) => a.at - b.at || b.length - a.length);
  /** @type {{text: string, person: Person | null}[]} */
  const runs = [];
  let shownUpTo = 0;
  for (const { at, length, person } of found) {
    if (at < shownUpTo) continue;
    if (at > shownUpTo) runs.push({ text: text.slice(shownUpTo, at), person: null });
    runs.push({ text: text.slice(at, at + length), person });
    shownUpTo = at + length;
  }
  if (shownUpTo < text.length || runs.length === 0) runs.push({ text: text.slice(shownUpTo), person: null });
  return runs;
}
