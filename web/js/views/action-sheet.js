// The action sheet of a message on a touch screen (a long press, or its "⋯" button): the
// quick reactions and "More reactions", then what the reader may do to it (reply in its
// thread, edit, delete), and Cancel. A modal <dialog> (showModal keeps focus inside and the
// page behind inert), at the bottom of a phone's screen; Escape, Cancel or a press outside
// close it. Once closed, `restoreFocus` puts focus back and `onChoose` hears the choice, if
// any, so that what it opens (an edit box, the emoji picker) takes focus after.

import { button, element, placeBeside } from './element.js';

/**
 * @typedef {{react: string, on: boolean} | {action: string}} Choice
 * @typedef {object} SheetRequest
 * @property {Element} near  the message's list: the dialog goes into its document or shadow root
 * @property {string} title  the message, in short
 * @property {readonly {emoji: string, name: string, mine: boolean}[]} reactions
 * @property {readonly {action: string, label: string}[]} actions
 * @property {(choice: Choice) => void} onChoose
 * @property {() => void} restoreFocus
 */

/** @type {HTMLDialogElement | null} */
let dialog = null;
/** @type {SheetRequest | null} */
let request = null;
/** @type {Choice | null} */
let chosen = null;

/** @param {Element} near  a part of the page (of a shadow root, for an embedded panel) */
function build(near) {
  const built = element('dialog', 'action-sheet');
  built.dataset.testid = 'action-sheet';
  built.setAttribute('aria-labelledby', 'action-sheet-title');
  built.addEventListener('click', (event) => {
    const target = /** @type {Element} */ (event.target);
    // A press on the backdrop (outside the sheet) closes it, as Escape does.
    if (target === built) {
      built.close();
      return;
    }
    const control = target.closest('button');
    if (!control) return;
    const { react, on, action } = control.dataset;
    if (react) chosen = { react, on: on === 'true' };
    else if (action && action !== 'cancel') chosen = { action };
    built.close();
  });
  built.addEventListener('close', () => {
    const closed = request;
    const choice = chosen;
    request = null;
    chosen = null;
    closed?.restoreFocus();
    if (choice) closed?.onChoose(choice);
  });
  placeBeside(built, near);
  return built;
}

/** @param {SheetRequest} asked */
function content(asked) {
  const title = element('h2', 'action-sheet-title', asked.title);
  title.id = 'action-sheet-title';
  title.dir = 'auto';
  const reactions = element('div', 'action-sheet-reactions');
  reactions.setAttribute('role', 'group');
  reactions.setAttribute('aria-label', 'React');
  for (const { emoji, name, mine } of asked.reactions) {
    const choice = button(emoji, 'reaction-choice', { react: emoji, on: String(!mine), testid: 'sheet-reaction' });
    choice.setAttribute('aria-label', `${mine ? 'Take back' : 'React with'} ${name}`);
    choice.setAttribute('aria-pressed', String(mine));
    reactions.append(choice);
  }
  const more = button('+', 'reaction-choice reaction-more', { action: 'more-reactions', testid: 'sheet-more-reactions' });
  more.setAttribute('aria-label', 'More reactions');
  more.setAttribute('aria-haspopup', 'dialog');
  reactions.append(more);
  const actions = element('div', 'action-sheet-actions');
  for (const { action, label } of asked.actions) {
    actions.append(button(label, `action-sheet-action action-sheet-${action}`, { action, testid: `sheet-${action}` }));
  }
  actions.append(button('Cancel', 'action-sheet-action action-sheet-cancel', { action: 'cancel', testid: 'sheet-cancel' }));
  return [title, reactions, actions];
}

/**
 * Opens the sheet, focus on its first reaction.
 * @param {SheetRequest} asked
 */
export function openActionSheet(asked) {
  dialog ??= build(asked.near);
  if (dialog.open) return;
  request = asked;
  dialog.replaceChildren(...content(asked));
  dialog.showModal();
  /** @type {HTMLElement} */ (dialog.querySelector('button')).focus();
}
