// A message box that grows with its text: its height follows what it holds, up to the
// max-height its style gives it, beyond which it scrolls.

/** @param {HTMLTextAreaElement} box */
export function fitHeight(box) {
  // Not laid out (a hidden panel's box): nothing to measure yet.
  if (box.getClientRects().length === 0) return;
  box.style.height = 'auto';
  // Empty, it keeps its one line (a long placeholder would count).
  if (box.value === '') return;
  // scrollHeight leaves the borders out; the box sizes its border too (border-box).
  const borders = box.offsetHeight - box.clientHeight;
  box.style.height = `${box.scrollHeight + borders}px`;
}
