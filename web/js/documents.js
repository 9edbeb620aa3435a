// Which document is open: a few sample documents, any other by id, and the URL hash
// (#doc=<id>) as the single source of truth so a reload or a shared link opens the same one.

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
