// Which document is open: a few sample documents, any other by id, and the URL hash
// (#doc=<id>) as the single source of truth so a reload or a shared link opens the same one.
// Documents opened by id join the list, remembered in this browser.

import { documentIdProblem } from './document-id.js';

export const SAMPLE_DOCUMENTS = Object.freeze([
  { id: 'launch-plan', title: 'Launch plan', description: 'Timeline, owners and risks' },
  { id: 'design-review', title: 'Design review', description: 'Open questions on the new editor' },
  { id: 'onboarding-guide', title: 'Onboarding guide', description: 'First week for new joiners' },
]);

/** @param {string} id */
export function documentTitle(id) {
  return SAMPLE_DOCUMENTS.find((doc) => doc.id === id)?.title ?? id;
}

/**
 * The link's `{id, problem}` (problem: why the id is not valid, or null); null without one.
 * @param {string} [hash]
 */
export function documentFromHash(hash = window.location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const id = params.get('doc');
  return id === null ? null : { id, problem: documentIdProblem(id) };
}

/** @param {string} id */
export function documentHash(id) {
  return `#${new URLSearchParams({ doc: id })}`;
}

const OPENED_KEY = 'docchat.openedDocuments';
// The list keeps this many documents opened by id, the most recent first.
export const OPENED_KEPT = 20;

/**
 * The documents opened by id (not samples), most recent first, as this browser remembers them.
 * @returns {string[]}
 */
export function loadOpenedDocuments() {
  try {
    const stored = JSON.parse(localStorage.getItem(OPENED_KEY) ?? '[]');
    if (Array.isArray(stored)) {
      return stored.filter((id) => typeof id === 'string' && documentIdProblem(id) === null).slice(0, OPENED_KEPT);
    }
  } catch {
    // Unreadable or blocked storage: no documents of one's own yet.
  }
  return [];
}

/**
 * Adds `id` to the documents opened by id (a sample stays where it is); the list now.
 * @param {readonly string[]} opened
 * @param {string} id
 * @returns {string[]}
 */
export function rememberDocument(opened, id) {
  if (SAMPLE_DOCUMENTS.some((doc) => doc.id === id) || opened.includes(id)) return [...opened];
  const next = [id, ...opened].slice(0, OPENED_KEPT);
  try {
    localStorage.setItem(OPENED_KEY, JSON.stringify(next));
  } catch {
    // Private modes may refuse storage; the list then lasts for this page only.
  }
  return next;
}

/**
 * The documents the list shows: the samples, then those opened by id.
 * @param {readonly string[]} opened
 * @returns {{id: string, title: string, description: string}[]}
 */
export function listedDocuments(opened) {
  return [...SAMPLE_DOCUMENTS, ...opened.map((id) => ({ id, title: id, description: 'Opened by id' }))];
}
