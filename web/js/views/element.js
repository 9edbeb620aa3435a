// Small DOM builders for the message views: user text only ever goes in through textContent.

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
