// The emoji picker: a modal dialog with a grid of emoji (emoji.js), for a reaction beyond the
// quick ones or an emoji in a message box. One grid, focus on one emoji at a time: arrow keys
// move (up and down by a row), Home and End go to a row's ends, Enter or Space picks, Escape
// or Close closes; then `restoreFocus` puts focus back where the picker was opened from, and
// `onPick` hears the emoji picked, if any.
// Built on <dialog>'s showModal, which keeps focus inside and the page behind inert.

import { PICKER_EMOJI } from '../emoji.js';
import { element, placeBeside } from './element.js';

const COLUMNS = 8;

/**
 * @typedef {object} PickRequest
 * @property {Element} near  what it is opened from: the dialog goes into its document or shadow root
 * @property {string} title  what the picker is for ("Add a reaction")
 * @property {(emoji: string) => void} onPick
 * @property {() => void} restoreFocus  called once the picker closed, picked or not
 * @property {(emoji: string) => boolean} [pressed]  an emoji already chosen (a reaction of yours)
 */

/** @type {HTMLDialogElement | null} */
let dialog = null;
/** @type {PickRequest | null} */
let request = null;
// The emoji picked, told once the dialog has closed and given focus back.
/** @type {string | null} */
let picked = null;

function cells() {
  return /** @type {HTMLButtonElement[]} */ ([...(dialog?.querySelectorAll('.emoji-cell') ?? [])]);
}

/** @param {number} index */
function focusCell(index) {
  const all = cells();
  const target = all[Math.max(0, Math.min(index, all.length - 1))];
  for (const cell of all) cell.tabIndex = cell === target ? 0 : -1;
  target.focus();
}

/** @param {KeyboardEvent} event */
function onKey(event) {
  const all = cells();
  const index = all.indexOf(/** @type {HTMLButtonElement} */ (event.target));
  if (index < 0) return;
  const rowStart = index - (index % COLUMNS);
  /** @type {Record<string, number>} */
  const moves = {
    ArrowRight: index + 1,
    ArrowLeft: index - 1,
    ArrowDown: index + COLUMNS < all.length ? index + COLUMNS : index,
    ArrowUp: index - COLUMNS >= 0 ? index - COLUMNS : index,
    Home: rowStart,
    End: Math.min(rowStart + COLUMNS, all.length) - 1,
  };
  if (!(event.key in moves)) return;
  event.preventDefault();
  focusCell(moves[event.key]);
}

/** @param {Element} near  a part of the page (of a shadow root, for an embedded panel) */
function build(near) {
  const built = element('dialog', 'emoji-picker');
  built.dataset.testid = 'emoji-picker';
  built.setAttribute('aria-labelledby', 'emoji-picker-title');
  const header = element('div', 'emoji-picker-header');
  const title = element('h2', 'emoji-picker-title');
  title.id = 'emoji-picker-title';
  const close = element('button', 'button button-secondary', 'Close');
  close.type = 'button';
  close.addEventListener('click', () => built.close());
  header.append(title, close);
  const grid = element('div', 'emoji-grid');
  grid.setAttribute('role', 'grid');
  grid.setAttribute('aria-labelledby', 'emoji-picker-title');
  for (let start = 0; start < PICKER_EMOJI.length; start += COLUMNS) {
    const row = element('div', 'emoji-row');
    row.setAttribute('role', 'row');
    for (const [emoji, name] of PICKER_EMOJI.slice(start, start + COLUMNS)) {
      const cell = element('button', 'emoji-cell', emoji);
      cell.type = 'button';
      cell.setAttribute('role', 'gridcell');
      Object.assign(cell.dataset, { emoji, name, testid: 'emoji-choice' });
      row.append(cell);
    }
    grid.append(row);
  }
  grid.addEventListener('keydown', onKey);
  grid.addEventListener('click', (event) => {
    const cell = /** @type {Element} */ (event.target).closest('.emoji-cell');
    if (!(cell instanceof HTMLElement)) return;
    picked = /** @type {string} */ (cell.dataset.emoji);
    built.close();
  });
  // A press on the backdrop (outside the box) closes it, as Escape does.
  built.addEventListener('click', (event) => {
    if (event.target === built) built.close();
  });
  built.addEventListener('close', () => {
    const closed = request;
    const emoji = picked;
    request = null;
    picked = null;
    closed?.restoreFocus();
    if (emoji !== null) closed?.onPick(emoji);
  });
  built.append(header, grid);
  placeBeside(built, near);
  return built;
}

/**
 * Opens the picker, focus on its first emoji.
 * @param {PickRequest} asked
 */
export function openEmojiPicker(asked) {
  dialog ??= build(asked.near);
  if (dialog.open) return;
  request = asked;
  /** @type {HTMLElement} */ (dialog.querySelector('.emoji-picker-title')).textContent = asked.title;
  for (const cell of cells()) {
    const { emoji = '', name = '' } = cell.dataset;
    const pressed = asked.pressed?.(emoji) ?? false;
    cell.setAttribute('aria-label', pressed ? `${name}, yours: take back` : name);
    cell.classList.toggle('emoji-cell-pressed', pressed);
  }
  dialog.showModal();
  focusCell(0);
}
