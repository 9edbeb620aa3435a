// A message box (the timeline's and a thread's reply box share it): one line that grows with
// its text up to a few lines, then scrolls, between an emoji button (the emoji picker inserts
// at the caret) and an icon send button. Enter sends, Shift+Enter adds a line. Send is
// aria-disabled (still focusable, greyed) while the text is empty or too long; the hint under
// the box speaks only when there is something to say (no document, characters left or over
// the limit), the placeholder says the rest. onInput hears every edit (typing). Its `@`
// autocomplete (a mention picker) has the keys first while it is open, and gives each send
// the ids of the people it mentions.

import { countOf } from '../words.js';
import { fitHeight } from './autosize.js';
import { openEmojiPicker } from './emoji-picker.js';
import { icon } from './icons.js';

export const MAX_MESSAGE_LENGTH = 4000;
const COUNTER_FROM = MAX_MESSAGE_LENGTH - 500;

// Counted in code points, as the server counts characters.
/** @param {string} text */
function lengthOf(text) {
  return [...text].length;
}

/**
 * @param {object} parts
 * @param {HTMLFormElement} parts.form  holds an emoji button (.composer-emoji)
 * @param {HTMLTextAreaElement} parts.textarea
 * @param {HTMLButtonElement} parts.button
 * @param {HTMLElement} parts.hint
 * @param {{handleKey: (event: KeyboardEvent) => boolean, take: (text: string) => string[]}} parts.mentions
 *   the box's mention picker
 * @param {(text: string, mentions: string[]) => void} parts.onSend  a message to send, trimmed, and
 *   the ids of the people it mentions
 * @param {(text: string) => void} parts.onInput  the box's text after every edit
 */
export function createComposer({ form, textarea, button, hint, mentions, onSend, onInput }) {
  const emojiButton = /** @type {HTMLButtonElement} */ (form.querySelector('.composer-emoji'));
  emojiButton.append(icon('smile'));
  button.append(icon('send'));
  let available = false;

  function check() {
    const length = lengthOf(textarea.value.trim());
    const over = length - MAX_MESSAGE_LENGTH;
    if (!available) return { ok: false, hint: 'Open a document to chat' };
    if (length === 0) return { ok: false, hint: '' };
    if (over > 0) {
      return { ok: false, tooLong: true, hint: `${countOf(over, 'character')} over the ${MAX_MESSAGE_LENGTH} limit` };
    }
    if (length >= COUNTER_FROM) return { ok: true, hint: `${countOf(-over, 'character')} left` };
    return { ok: true, hint: '' };
  }

  function refresh() {
    const { ok, tooLong = false, hint: message } = check();
    button.setAttribute('aria-disabled', String(!ok));
    textarea.setAttribute('aria-invalid', String(tooLong));
    hint.textContent = message;
    hint.classList.toggle('composer-hint-error', tooLong);
    fitHeight(textarea);
  }

  function submit() {
    if (!check().ok) return;
    const text = textarea.value.trim();
    textarea.value = '';
    refresh();
    onSend(text, mentions.take(text));
  }

  /** @param {string} emoji */
  function insert(emoji) {
    textarea.setRangeText(emoji, textarea.selectionStart, textarea.selectionEnd, 'end');
    // Heard as typing is: the send button, the height, the typing signal.
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
    textarea.focus();
  });
  textarea.addEventListener('input', () => {
    refresh();
    onInput(textarea.value);
  });
  textarea.addEventListener('keydown', (event) => {
    if (mentions.handleKey(event)) return;
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    submit();
  });
  emojiButton.addEventListener('click', () =>
    openEmojiPicker({ near: form, title: 'Insert an emoji', onPick: insert, restoreFocus: () => textarea.focus() }),
  );

  refresh();
  return {
    /** @param {boolean} value  whether a document is open to send to */
    setAvailable(value) {
      available = value;
      textarea.disabled = !value;
      emojiButton.disabled = !value;
      refresh();
    },
  };
}
