// "Bob is typing…" under the messages; the element is a polite live region, so screen
// readers say it when it changes without interrupting.

// Beyond this many names the line says how many others instead.
const NAMES_SHOWN = 3;

/** @param {string[]} names */
function listOf(names) {
  const shown =
    names.length > NAMES_SHOWN ? [...names.slice(0, NAMES_SHOWN - 1), `${names.length - NAMES_SHOWN + 1} others`] : names;
  return shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

/** @param {string[]} names */
export function typingText(names) {
  if (names.length === 0) return '';
  return `${listOf(names)} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

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
