// Message text as DOM nodes with its http and https links clickable. Only text nodes and
// anchors are made, never markup, so no message can inject HTML; a link opens in a new tab
// that cannot reach back to this page (noopener) or learn where it came from (noreferrer).

const CANDIDATE = /https?:\/\/[^\s<>"]+/gi;
// Sentence punctuation after a link belongs to the sentence: "see https://example.org/a."
const TRAILING = '.,;:!?\'")]}';

/**
 * @param {string} text
 * @param {string} character
 */
function count(text, character) {
  return text.split(character).length - 1;
}

// Drops trailing punctuation, but keeps a ")" that closes a "(" of the link's own
// (https://en.wikipedia.org/wiki/Tide_(disambiguation)).
/** @param {string} candidate */
function withoutTrailing(candidate) {
  let end = candidate.length;
  while (end > 0 && TRAILING.includes(candidate[end - 1])) {
    const head = candidate.slice(0, end - 1);
    if (candidate[end - 1] === ')' && count(head, '(') > count(head, ')')) break;
    end -= 1;
  }
  return candidate.slice(0, end);
}

/** @param {string} text */
function webUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/**
 * @param {URL} url
 * @param {string} text
 */
function link(url, text) {
  const anchor = document.createElement('a');
  anchor.href = url.href;
  anchor.textContent = text;
  anchor.target = '_blank';
  anchor.rel = 'noopener noreferrer';
  return anchor;
}

/**
 * `text` as nodes: plain runs as text nodes, each web address as a link.
 * @param {string} text
 */
export function linkedText(text) {
  /** @type {Node[]} */
  const nodes = [];
  let shownUpTo = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const candidate = withoutTrailing(match[0]);
    const url = webUrl(candidate);
    if (!url) continue;
    nodes.push(document.createTextNode(text.slice(shownUpTo, match.index)), link(url, candidate));
    shownUpTo = match.index + candidate.length;
  }
  nodes.push(document.createTextNode(text.slice(shownUpTo)));
  return nodes;
}
