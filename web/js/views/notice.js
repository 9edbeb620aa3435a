// One line above the messages for problems the user should know about.

/** @param {HTMLElement} root  holds the `.notice-text` element */
export function createNotice(root) {
  const text = /** @type {HTMLElement} */ (root.querySelector('.notice-text'));
  return {
    /**
     * Shows `message`, or hides the notice when it is null.
     * @param {string | null} message
     */
    show(message) {
      root.hidden = message === null;
      text.textContent = message ?? '';
    },
  };
}
