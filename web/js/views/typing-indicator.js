// "Bob is typing…" under the messages, in a line of its own (it never covers them); the
// element is a polite live region, so screen readers say it when it changes without
// interrupting. The words are web/js/people-text.js's.

import { typingText } from '../people-text.js';

/** @param {HTMLElement} element */
export function createTypingIndicator(element) {
  return {
    /** @param {import('../identity.js').User[]} typists */
    render(typists) {
      const text = typingText(typists.map((user) => user.name));
      // Writing the same text again could make a screen reader repeat it.
      if (element.textContent !== text) element.textContent = text;
    },
  };
}
