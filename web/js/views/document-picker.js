// The document list and the "open by id" box. Both only change the URL hash; the app
// follows the hash. Each listed document shows how many of its messages are unread.

import { documentIdProblem } from '../document-id.js';
import { documentHash } from '../documents.js';

// A badge says "99+" beyond this.
const MOST_COUNTED = 99;

/** @typedef {{id: string, title: string, description: string}} ListedDocument */

/** @param {ListedDocument} doc */
function documentLink(doc) {
  const link = document.createElement('a');
  link.className = 'document-link';
  link.href = documentHash(doc.id);
  link.dataset.testid = `document-link-${doc.id}`;
  link.dataset.documentId = doc.id;
  const title = document.createElement('span');
  title.className = 'document-link-title';
  title.textContent = doc.title;
  const description = document.createElement('span');
  description.className = 'document-link-description';
  description.textContent = doc.description;
  const badge = document.createElement('span');
  badge.className = 'document-unread';
  badge.dataset.testid = 'document-unread';
  badge.hidden = true;
  link.append(title, description, badge);
  const item = document.createElement('li');
  item.append(link);
  return item;
}

/**
 * @param {HTMLElement} badge
 * @param {number} count
 */
function showCount(badge, count) {
  badge.hidden = count === 0;
  badge.dataset.count = String(count);
  const shown = count > MOST_COUNTED ? `${MOST_COUNTED}+` : String(count);
  const words = document.createElement('span');
  words.className = 'visually-hidden';
  words.textContent = ' unread';
  badge.replaceChildren(...(count === 0 ? [] : [shown, words]));
}

/**
 * `onPick()` hears every valid pick, also of the document already open.
 * @param {object} parts
 * @param {HTMLElement} parts.list
 * @param {HTMLFormElement} parts.form
 * @param {HTMLInputElement} parts.input
 * @param {HTMLElement} parts.hint
 * @param {() => void} parts.onPick
 */
export function createDocumentPicker({ list, form, input, hint, onPick }) {
  const hintText = hint.textContent;
  /** @type {Map<string, HTMLElement>} */
  const items = new Map();
  list.addEventListener('click', (event) => {
    if (/** @type {Element} */ (event.target).closest('a')) onPick();
  });

  /** @param {string | null} problem */
  function setProblem(problem) {
    input.setAttribute('aria-invalid', String(problem !== null));
    hint.classList.toggle('field-hint-error', problem !== null);
    hint.textContent = problem ? `Not a document id: it ${problem}. ${hintText}` : hintText;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = input.value.trim();
    const problem = documentIdProblem(id);
    setProblem(problem);
    if (problem) {
      input.focus();
      return;
    }
    input.value = '';
    window.location.hash = documentHash(id);
    onPick();
  });

  return {
    /**
     * The documents to list, in order; those listed already keep their elements.
     * @param {readonly ListedDocument[]} docs
     */
    setDocuments(docs) {
      for (const doc of docs) if (!items.has(doc.id)) items.set(doc.id, documentLink(doc));
      list.replaceChildren(...docs.map((doc) => /** @type {HTMLElement} */ (items.get(doc.id))));
    },

    /**
     * How many messages each listed document has unread (one not given: none known).
     * @param {ReadonlyMap<string, number>} counts
     */
    setCounts(counts) {
      for (const [id, item] of items) showCount(/** @type {HTMLElement} */ (item.querySelector('.document-unread')), counts.get(id) ?? 0);
    },

    /**
     * Marks the open document in the list.
     * @param {string | null} documentId
     */
    show(documentId) {
      for (const link of list.querySelectorAll('a')) {
        if (link.dataset.documentId === documentId) link.setAttribute('aria-current', 'page');
        else link.removeAttribute('aria-current');
      }
    },
  };
}
