// The header pill: whether the open document is in sync (web/js/status.js decides). Its
// `data-state` keeps the live connection's own state; `data-status` is what it shows.

import { documentStatus } from '../status.js';

/**
 * @param {HTMLElement} pill  holds the `.pill-label` element
 * @param {import('../status.js').StatusInputs} inputs
 */
export function renderConnectionState(pill, inputs) {
  const { status, label, title } = documentStatus(inputs);
  pill.dataset.state = inputs.connection;
  pill.dataset.status = status;
  /** @type {HTMLElement} */ (pill.querySelector('.pill-label')).textContent = label;
  pill.title = title;
}
