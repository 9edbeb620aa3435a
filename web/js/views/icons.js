// The page's small line icons, drawn in the text's colour; each is decoration (aria-hidden):
// the button holding it carries the name.

const SVG = 'http://www.w3.org/2000/svg';

const PATHS = {
  smile: 'M12 3a9 9 0 1 0 0 18a9 9 0 0 0 0-18z M8.5 14.5a4.5 4.5 0 0 0 7 0 M9 9.5h.01 M15 9.5h.01',
  reply: 'M4 5h16v11H10l-6 4z',
  edit: 'M4 20h4L19 9l-4-4L4 16z M13.5 6.5l4 4',
  delete: 'M5 7h14 M10 7V4h4v3 M7 7l1 13h8l1-13',
  more: 'M6 12h.01 M12 12h.01 M18 12h.01',
  send: 'M4 12l16-8-6 16-2.5-6.5z M11.5 13.5l4-4',
};

/** @typedef {keyof typeof PATHS} IconName */

/**
 * @param {IconName} name
 * @returns {SVGSVGElement}
 */
export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('icon', `icon-${name}`);
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', PATHS[name]);
  svg.append(path);
  return svg;
}
