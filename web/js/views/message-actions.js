// What a reader can do to a message: react to any, reply to a root (in its thread), edit or
// delete their own. Editing swaps
// the text for a small form (Enter saves, Escape cancels); deleting asks first, in place.

import { button, element } from './element.js';

/** @typedef {import('@docchat/client').ShownMessage} ShownMessage */

/**
 * The actions row; `pickerOpen` says whether the reaction picker shows.
 * @param {ShownMessage} message
 * @param {{own: boolean, pickerOpen: boolean, canReply: boolean}} options  `own`: the reader sent it;
 *   `canReply`: it is a root, replied to in its thread
 */
export function messageActions(message, { own, pickerOpen, canReply }) {
  /** @param {string} action */
  const data = (action) => ({ action, messageId: message.id, testid: `${action}-message`, focus: action });
  const row = element('div', 'message-actions');
  row.setAttribute('role', 'group');
  row.setAttribute('aria-label', 'Message actions');
  const react = button('React', 'message-action', data('react'));
  react.setAttribute('aria-expanded', String(pickerOpen));
  react.setAttribute('aria-controls', `reactions-for-${message.id}`);
  row.append(react);
  if (canReply) {
    const reply = button('Reply', 'message-action', data('reply'));
    reply.setAttribute('aria-controls', 'thread-panel');
    row.append(reply);
  }
  if (own) row.append(button('Edit', 'message-action', data('edit')), button('Delete', 'message-action', data('delete')));
  return row;
}

/** @param {ShownMessage} message */
export function deleteConfirmation(message) {
  const row = element('div', 'message-confirm');
  row.setAttribute('role', 'group');
  row.setAttribute('aria-label', 'Delete this message?');
  row.append(
    element('span', '', 'Delete this message?'),
    button('Delete', 'button button-danger', {
      action: 'confirm-delete',
      messageId: message.id,
      testid: 'confirm-delete',
      focus: 'confirm-delete',
    }),
    button('Cancel', 'button button-secondary', { action: 'cancel', messageId: message.id, focus: 'cancel' }),
  );
  return row;
}

/**
 * The edit form, holding `draft`; `onDraft` hears every change to it.
 * @param {ShownMessage} message
 * @param {string} draft
 * @param {(draft: string) => void} onDraft
 */
export function messageEditor(message, draft, onDraft) {
  const form = element('form', 'message-editor');
  form.dataset.messageId = message.id;
  form.noValidate = true;
  const box = element('textarea', 'message-editor-text');
  Object.assign(box, { value: draft, rows: 2, dir: 'auto' });
  Object.assign(box.dataset, { testid: 'edit-text', focus: 'edit-text' });
  box.setAttribute('aria-label', 'Edit message');
  box.addEventListener('input', () => onDraft(box.value));
  // Escape is the list's: it closes whatever is open.
  box.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    form.requestSubmit();
  });
  const save = element('button', 'button button-primary', 'Save');
  save.type = 'submit';
  save.dataset.testid = 'save-edit';
  const footer = element('div', 'message-editor-footer');
  footer.append(save, button('Cancel', 'button button-secondary', { action: 'cancel', messageId: message.id, focus: 'cancel' }));
  form.append(box, footer);
  return form;
}
