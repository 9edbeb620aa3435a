// The document list and the "open by id" box. Both only change the URL hash; the app
// follows the hash.

import { documentIdProblem } from '../document-id.js';
import { documentHash, SAMPLE_DOCUMENTS } from '../documents.js';

/** @param {{id: string, title: string, description: string}} doc */
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
  link.append(title, description);
  const item = document.createElement('li');
  item.append(link);
  return item;
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
  list.append(...SAMPLE_DOCUMENTS.map(documentLink));
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
