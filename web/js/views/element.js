// Small DOM builders for the message views: user text only ever goes in through textContent;
// where a dialog goes.

/**
 * @template {keyof HTMLElementTagNameMap} Tag
 * @param {Tag} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[Tag]}
 */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A plain button; `data` goes into its dataset. `data.focus` names it within its message,
 * so the list can give it focus back when the message is drawn again.
 * @param {string} label
 * @param {string} className
 * @param {Record<string, string>} data
 */
export function button(label, className, data) {
  const node = element('button', className, label);
  node.type = 'button';
  Object.assign(node.dataset, data);
  return node;
}

/**
 * Puts a dialog into the page that `near` is part of: its shadow root (a panel embedded as a
 * web component, whose styles reach only its own tree), or else the document's body.
 * @param {HTMLElement} dialog
 * @param {Element} near
 */
export function placeBeside(dialog, near) {
  const root = near.getRootNode();
  (root instanceof ShadowRoot ? root : document.body).append(dialog);
}
