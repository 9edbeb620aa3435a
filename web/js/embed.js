// The panel (/embed?document=<id>): the page for one document, to sit beside that document
// in another app's page, in an iframe. No sidebar (no document picker, no dev user panel), no
// notifications bell: the chat, its presence and typing line, its composer and its threads.
// The embedding site themes it through the iframe's query parameters (THEME_TOKENS).

import { documentHash } from './documents.js';

/** @param {Location} where */
export function isEmbedded(where) {
  return where.pathname === '/embed';
}

/**
 * The theme tokens: query parameter -> the page's custom properties it sets. Each is the CSS
 * custom property `--docchat-<name>` of the README; `<name>-dark` applies while the reader's
 * system is dark. A value the property's CSS does not accept is ignored.
 */
export const THEME_TOKENS = Object.freeze({
  accent: { css: 'color', properties: ['--accent', '--accent-strong'] },
  'accent-text': { css: 'color', properties: ['--on-accent'] },
  background: { css: 'color', properties: ['--bg'] },
  surface: { css: 'color', properties: ['--surface', '--surface-muted'] },
  text: { css: 'color', properties: ['--text'] },
  'text-muted': { css: 'color', properties: ['--text-muted'] },
  border: { css: 'color', properties: ['--border'] },
  radius: { css: 'border-radius', properties: ['--radius'] },
  font: { css: 'font-family', properties: ['--font'] },
});

/**
 * The custom properties `search` asks for, in light or dark: `{'--accent': 'teal', ...}`.
 * @param {string} search
 * @param {boolean} dark
 * @param {(property: string, value: string) => boolean} supports  CSS.supports
 * @returns {Record<string, string>}
 */
export function themeFrom(search, dark, supports) {
  const query = new URLSearchParams(search);
  /** @type {Record<string, string>} */
  const set = {};
  for (const [name, { css, properties }] of Object.entries(THEME_TOKENS)) {
    const value = (dark && query.get(`${name}-dark`)) || query.get(name);
    if (!value || !supports(css, value)) continue;
    for (const property of properties) set[property] = value;
    set[`--docchat-${name}`] = value;
  }
  return set;
}

/**
 * Turns the page into the panel: marks the root (embed.css lays it out), hides what the panel
 * has not, opens `?document=` (through the hash the page follows) and applies the theme.
 * @param {Document} page
 * @param {Location} where
 */
export function becomePanel(page, where) {
  const root = page.documentElement;
  root.dataset.embed = '';
  for (const id of ['sidebar', 'sidebar-toggle', 'bell', 'inbox-panel']) page.getElementById(id)?.setAttribute('hidden', '');
  page.querySelector('.brand')?.setAttribute('hidden', '');
  const documentId = new URLSearchParams(where.search).get('document') ?? '';
  window.history.replaceState(null, '', `${where.pathname}${where.search}${documentHash(documentId)}`);
  const dark = window.matchMedia('(prefers-color-scheme: dark)');
  /** @type {string[]} */
  let applied = [];
  const apply = () => {
    for (const property of applied) root.style.removeProperty(property);
    const theme = themeFrom(where.search, dark.matches, (property, value) => CSS.supports(property, value));
    for (const [property, value] of Object.entries(theme)) root.style.setProperty(property, value);
    applied = Object.keys(theme);
  };
  apply();
  dark.addEventListener('change', apply);
}
