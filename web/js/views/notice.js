// One line above the messages for problems the user should know about.

export function createNotice(root) {
  const text = root.querySelector('.notice-text');
  return {
    /** Shows `message`, or hides the notice when it is null. */
    show(message) {
      root.hidden = message === null;
      text.textContent = message ?? '';
    },
  };
}
