// A long press on a row of a list, by a finger or a pen (a mouse has its buttons): held still
// for LONG_PRESS_MS it calls `onLongPress` with the row's data-id. Moving the finger (a
// scroll), scrolling or lifting it first is no long press; a press on a control (a button, a
// link, a text box) is the control's. The browser's own menu for the press stays closed, and
// lifting the finger taps nothing (what opened may now lie under it).

const LONG_PRESS_MS = 500;
const PRESS_SLOP_PX = 10;

/**
 * @param {object} parts
 * @param {HTMLElement} parts.list
 * @param {HTMLElement} parts.scroller  scrolls the list
 * @param {string} parts.rowSelector
 * @param {(id: string) => void} parts.onLongPress
 */
export function listenForLongPress({ list, scroller, rowSelector, onLongPress }) {
  /** @type {{timer: number, x: number, y: number} | null} */
  let press = null;
  // Whether the last press was a long one: its context menu stays closed.
  let held = false;
  const endPress = () => {
    if (press) clearTimeout(press.timer);
    press = null;
  };

  list.addEventListener('pointerdown', (event) => {
    const target = /** @type {Element} */ (event.target);
    const row = target.closest(rowSelector);
    const id = row instanceof HTMLElement ? row.dataset.id : undefined;
    if (event.pointerType === 'mouse' || id === undefined || target.closest('button, a, textarea')) return;
    endPress();
    const finger = event.pointerType === 'touch';
    const timer = window.setTimeout(() => {
      press = null;
      held = true;
      if (finger) window.addEventListener('touchend', (lift) => lift.preventDefault(), { capture: true, once: true, passive: false });
      onLongPress(id);
    }, LONG_PRESS_MS);
    press = { timer, x: event.clientX, y: event.clientY };
  });
  list.addEventListener('pointermove', (event) => {
    if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > PRESS_SLOP_PX) endPress();
  });
  for (const ending of ['pointerup', 'pointercancel']) list.addEventListener(ending, endPress);
  scroller.addEventListener('scroll', endPress);
  list.addEventListener('contextmenu', (event) => {
    if (press || held) event.preventDefault();
    held = false;
  });
}
