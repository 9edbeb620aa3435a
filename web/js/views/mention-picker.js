// The `@` autocomplete of a message box: typing `@` and letters lists the people who match
// (mentions.js) under the box; arrow keys move through them, Enter or Tab inserts the active
// one as `@Name`, Escape closes the list for this `@`; a click or tap inserts too. Who was
// chosen is remembered, so the send can carry the ids of those still named in the text.
//
// Accessibility: the textarea stays a textbox (HTML allows a textarea no other role, so it
// cannot be a combobox itself) with the combobox pattern's attributes a textbox takes:
// aria-autocomplete="list", aria-haspopup="listbox", aria-controls naming the listbox, and
// aria-activedescendant naming the active option while the list is open (focus never leaves
// the box). A polite status says how many people match and how to choose.

import { countOf } from '../words.js';
import { fillAvatar } from './avatar.js';
import { element } from './element.js';
import { insertMention, matchPeople, mentionedIds, mentionQuery } from '../mentions.js';

/** @typedef {import('../mentions.js').Person} Person */

/**
 * @param {object} parts
 * @param {HTMLTextAreaElement} parts.textarea
 * @param {HTMLElement} parts.listbox  an empty list (ul) with an id
 * @param {HTMLElement} parts.status  a polite live region for what the list offers
 * @param {() => Person[]} parts.candidates  who can be mentioned now
 * @param {() => void} parts.onQuery  an `@` is being typed: a chance to read who can be mentioned
 */
export function createMentionPicker({ textarea, listbox, status, candidates, onQuery }) {
  /** @type {Person[]} */
  let chosen = [];
  /** @type {Person[]} */
  let offered = [];
  let active = 0;
  /** @type {{start: number, end: number} | null} */
  let range = null;
  // The `@` that Escape closed the list for: it stays closed until another `@` is typed.
  /** @type {number | null} */
  let dismissedAt = null;
  let inserting = false;

  textarea.setAttribute('aria-autocomplete', 'list');
  textarea.setAttribute('aria-haspopup', 'listbox');
  textarea.setAttribute('aria-controls', listbox.id);
  listbox.setAttribute('role', 'listbox');
  listbox.hidden = true;

  /** @param {number} index */
  const optionId = (index) => `${listbox.id}-option-${index}`;

  function close() {
    range = null;
    offered = [];
    listbox.hidden = true;
    listbox.replaceChildren();
    textarea.removeAttribute('aria-activedescendant');
    status.textContent = '';
  }

  /** @param {Person} person @param {number} index */
  function option(person, index) {
    const item = element('li', 'mention-option');
    item.id = optionId(index);
    item.setAttribute('role', 'option');
    item.setAttribute('aria-selected', String(index === active));
    Object.assign(item.dataset, { testid: 'mention-option', userId: person.id, index: String(index) });
    const avatar = element('span', 'avatar avatar-tiny');
    avatar.setAttribute('aria-hidden', 'true');
    fillAvatar(avatar, person);
    item.append(avatar, element('span', 'mention-option-name', person.name));
    return item;
  }

  function draw() {
    listbox.replaceChildren(...offered.map(option));
    listbox.hidden = false;
    textarea.setAttribute('aria-activedescendant', optionId(active));
  }

  // Opens, updates or closes the list for what is typed at the caret.
  function evaluate() {
    const caret = textarea.selectionStart;
    const typed = textarea.selectionEnd === caret ? mentionQuery(textarea.value, caret) : null;
    if (!typed || typed.start === dismissedAt) {
      if (!typed) dismissedAt = null;
      close();
      return;
    }
    const wasOpen = range !== null;
    const before = offered.map((person) => person.id).join();
    if (!wasOpen) onQuery();
    offered = matchPeople(candidates(), typed.query);
    if (offered.length === 0) {
      close();
      return;
    }
    range = { start: typed.start, end: caret };
    if (offered.map((person) => person.id).join() !== before) {
      active = 0;
      status.textContent = `${countOf(offered.length, 'person', 'people')} to mention. Up and down arrows to choose, Enter to insert.`;
    }
    draw();
  }

  /** @param {number} index */
  function choose(index) {
    const person = offered[index];
    if (!person || !range) return;
    const { text, caret } = insertMention(textarea.value, range, person.name);
    chosen.push(person);
    close();
    textarea.value = text;
    textarea.setSelectionRange(caret, caret);
    // The composer hears the edit (its Send button, typing); this list stays closed.
    inserting = true;
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    inserting = false;
    status.textContent = `Mentioned ${person.name}.`;
  }

  /** @param {number} by */
  function move(by) {
    active = (active + by + offered.length) % offered.length;
    draw();
  }

  textarea.addEventListener('input', () => {
    if (!inserting) evaluate();
  });
  // The caret moved without an edit: the list follows it.
  textarea.addEventListener('click', evaluate);
  textarea.addEventListener('keyup', (event) => {
    if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(event.key)) evaluate();
  });
  textarea.addEventListener('blur', close);
  // A press on the list keeps focus (and the caret) in the box.
  listbox.addEventListener('mousedown', (event) => event.preventDefault());
  listbox.addEventListener('click', (event) => {
    const item = /** @type {Element} */ (event.target).closest('[role=option]');
    if (item instanceof HTMLElement) choose(Number(item.dataset.index));
  });

  return {
    /**
     * Handles a key while the list is open; says whether it did (the box then does nothing more).
     * @param {KeyboardEvent} event
     */
    handleKey(event) {
      if (range === null || event.isComposing) return false;
      if (event.key === 'ArrowDown') move(1);
      else if (event.key === 'ArrowUp') move(-1);
      else if ((event.key === 'Enter' || event.key === 'Tab') && !event.shiftKey) choose(active);
      else if (event.key === 'Escape') {
        dismissedAt = range.start;
        close();
      } else return false;
      event.preventDefault();
      return true;
    },

    /** Who can be mentioned may have changed: a mention being typed offers them. */
    update() {
      if (document.activeElement === textarea) evaluate();
    },

    /**
     * The ids of the chosen people `text` still names, for its send; forgets who was chosen.
     * @param {string} text
     */
    take(text) {
      const ids = mentionedIds(text, chosen);
      chosen = [];
      close();
      return ids;
    },
  };
}
