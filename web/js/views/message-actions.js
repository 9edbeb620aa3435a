// What a reader can do to a message: react to any, reply to a root (in its thread), edit or
// delete their own. With a mouse they are a toolbar of icons beside the message, shown while
// it is pointed at or holds focus; on a touch screen the toolbar is one "⋯" button, which (as
// a long press on the message does) opens the action sheet (action-sheet.js). Editing swaps
// the text for a small form (Enter saves, Escape cancels); deleting asks first, in place.

import { fitHeight } from './autosize.js';
import { button, element } from './element.js';
import { icon } from './icons.js';

/** @typedef {import('@docchat/client').ShownMessage} ShownMessage */
/** @typedef {import('./icons.js').IconName} IconName */

/**
 * What the reader may do to `message`, as the toolbar and the sheet name it.
 * @param {{own: boolean, canReply: boolean}} options  `own`: the reader sent it; `canReply`: it
 *   is a root, replied to in its thread
 * @returns {{action: 'reply' | 'edit' | 'delete', label: string}[]}
 */
export function allowedActions({ own, canReply }) {
  return [
    ...(canReply ? [{ action: /** @type {const} */ ('reply'), label: 'Reply in thread' }] : []),
    ...(own
      ? [
          { action: /** @type {const} */ ('edit'), label: 'Edit' },
          { action: /** @type {const} */ ('delete'), label: 'Delete' },
        ]
      : []),
  ];
}

/**
 * @param {ShownMessage} message
 * @param {string} action
 * @param {IconName} iconName
 * @param {string} label
 */
function iconButton(message, action, iconName, label) {
  const node = button('', `message-action message-action-${action}`, {
    action,
    messageId: message.id,
    testid: `${action}-message`,
    focus: action,
  });
  node.setAttribute('aria-label', label);
  node.title = label;
  node.append(icon(iconName));
  return node;
}

/**
 * The toolbar; `pickerOpen` says whether the reaction picker shows.
 * @param {ShownMessage} message
 * @param {{own: boolean, pickerOpen: boolean, canReply: boolean}} options
 */
export function messageActions(message, { own, pickerOpen, canReply }) {
  const row = element('div', 'message-actions');
  row.setAttribute('role', 'group');
  row.setAttribute('aria-label', 'Message actions');
  const react = iconButton(message, 'react', 'smile', 'React');
  react.setAttribute('aria-expanded', String(pickerOpen));
  react.setAttribute('aria-controls', `reactions-for-${message.id}`);
  /** @type {Record<string, IconName>} */
  const icons = { reply: 'reply', edit: 'edit', delete: 'delete' };
  const more = iconButton(message, 'more', 'more', 'More actions');
  more.setAttribute('aria-haspopup', 'dialog');
  row.append(
    react,
    ...allowedActions({ own, canReply }).map(({ action, label }) => {
      const node = iconButton(message, action, icons[action], label);
      if (action === 'reply') node.setAttribute('aria-controls', 'thread-panel');
      return node;
    }),
    more,
  );
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
  Object.assign(box, { value: draft, rows: 1, dir: 'auto' });
  Object.assign(box.dataset, { testid: 'edit-text', focus: 'edit-text' });
  box.setAttribute('aria-label', 'Edit message');
  box.addEventListener('input', () => {
    onDraft(box.value);
    fitHeight(box);
  });
  // Its height fits its text once it is on the page (and laid out).
  requestAnimationFrame(() => fitHeight(box));
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
