// A small markdown subset for message text, parsed into a tree of plain values (no DOM, no
// HTML), which views/rich-text.js turns into elements through textContent alone:
//   blocks:  paragraphs (their line breaks kept), ``` fenced code blocks, bulleted (- * +)
//            and numbered (1. or 1)) lists, one level;
//   inline:  **bold**, *italic*, `code`, [text](https://…) links (http and https only), and
//            a backslash before a marker keeps it as text.
// Anything else stays text as typed: HTML tags, unclosed markers, a link to any other scheme.
// Inside code nothing is formatted. Bare web addresses and mentions are found later, in the
// text nodes (views/linked-text.js, views/mention-text.js). Hostile text costs little: a
// marker with no closer is looked for to the end once per run of text, not once per marker,
// and nesting stops at MAX_DEPTH.

/**
 * @typedef {{type: 'text', text: string}
 *   | {type: 'strong', children: Inline[]}
 *   | {type: 'em', children: Inline[]}
 *   | {type: 'code', text: string}
 *   | {type: 'link', href: string, children: Inline[]}} Inline
 */
/**
 * @typedef {{type: 'paragraph', children: Inline[]}
 *   | {type: 'code-block', text: string}
 *   | {type: 'list', ordered: boolean, start: number, items: Inline[][]}} Block
 */

// Bold inside italic inside a link...: deeper than this, markers stay text.
const MAX_DEPTH = 4;
const ESCAPABLE = new Set('\\`*_[]()#+-.!>~|');
const FENCE = /^ {0,3}```/;
const CLOSING_FENCE = /^ {0,3}```\s*$/;
const BULLET = /^ {0,3}[-*+][ \t]+(.*)$/;
const NUMBERED = /^ {0,3}(\d{1,9})[.)][ \t]+(.*)$/;
const WEB_ADDRESS = /^https?:\/\/[^\s<>"]+/i;

/**
 * What `text` reads as, its markers gone: for a one-line preview (a thread's card, a
 * notification's excerpt). Blocks and list items go on lines of their own.
 * @param {string} text
 */
export function plainText(text) {
  /** @param {readonly Inline[]} nodes @returns {string} */
  const inline = (nodes) => nodes.map((node) => ('text' in node ? node.text : inline(node.children))).join('');
  return parseMarkdown(text)
    .map((block) => {
      if (block.type === 'code-block') return block.text;
      if (block.type === 'list') return block.items.map(inline).join('\n');
      return inline(block.children);
    })
    .join('\n');
}

/**
 * `text` as blocks.
 * @param {string} text
 * @returns {Block[]}
 */
export function parseMarkdown(text) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  /** @type {Block[]} */
  const blocks = [];
  /** @type {string[]} */
  let paragraph = [];
  const endParagraph = () => {
    const joined = paragraph.join('\n').replace(/^\n+|\n+$/g, '');
    if (joined !== '') blocks.push({ type: 'paragraph', children: parseInline(joined) });
    paragraph = [];
  };
  let index = 0;
  while (index < lines.length) {
    const line = lines[index];
    const closing = FENCE.test(line) ? lines.findIndex((later, at) => at > index && CLOSING_FENCE.test(later)) : -1;
    const item = listItem(line);
    if (closing > 0) {
      endParagraph();
      blocks.push({ type: 'code-block', text: lines.slice(index + 1, closing).join('\n') });
      index = closing + 1;
    } else if (item) {
      endParagraph();
      const list = { type: /** @type {const} */ ('list'), ordered: item.ordered, start: item.start, items: [parseInline(item.text)] };
      index += 1;
      for (let next = listItem(lines[index] ?? ''); next?.ordered === item.ordered; next = listItem(lines[index] ?? '')) {
        list.items.push(parseInline(next.text));
        index += 1;
      }
      blocks.push(list);
    } else {
      paragraph.push(line);
      index += 1;
    }
  }
  endParagraph();
  return blocks;
}

/**
 * @param {string} line
 * @returns {{ordered: boolean, start: number, text: string} | null}
 */
function listItem(line) {
  const bullet = BULLET.exec(line);
  if (bullet) return { ordered: false, start: 1, text: bullet[1] };
  const numbered = NUMBERED.exec(line);
  return numbered ? { ordered: true, start: Number(numbered[1]), text: numbered[2] } : null;
}

/**
 * One run of text (a paragraph, a list item) as inline nodes.
 * @param {string} text
 * @param {number} [depth]
 * @param {boolean} [inLink]  links inside a link stay text
 * @returns {Inline[]}
 */
export function parseInline(text, depth = 0, inLink = false) {
  /** @type {Inline[]} */
  const nodes = [];
  let plain = '';
  const pushText = () => {
    if (plain !== '') nodes.push({ type: 'text', text: plain });
    plain = '';
  };
  // Markers with no closer after some index have none after any later one: never looked for again.
  /** @type {Set<string>} */
  const unclosed = new Set();
  let at = 0;
  while (at < text.length) {
    const character = text[at];
    const found = character === '\\' ? null : token(text, at, depth, inLink, unclosed);
    if (character === '\\' && ESCAPABLE.has(text[at + 1])) {
      plain += text[at + 1];
      at += 2;
    } else if (found) {
      if (found.node.type === 'text') {
        plain += found.node.text;
      } else {
        pushText();
        nodes.push(found.node);
      }
      at = found.end;
    } else {
      plain += character;
      at += 1;
    }
  }
  pushText();
  return nodes;
}

/**
 * The node starting at `at`, if a marker opens one there, and where it ends.
 * @param {string} text
 * @param {number} at
 * @param {number} depth
 * @param {boolean} inLink
 * @param {Set<string>} unclosed
 * @returns {{node: Inline, end: number} | null}
 */
function token(text, at, depth, inLink, unclosed) {
  const character = text[at];
  if (character === '`') return codeSpan(text, at, unclosed);
  if (character === 'h' || character === 'H') {
    // A web address stays as typed (its * and _ too): linked-text.js makes it a link.
    const address = WEB_ADDRESS.exec(text.slice(at, at + 2048));
    return address ? { node: { type: 'text', text: address[0] }, end: at + address[0].length } : null;
  }
  if (depth >= MAX_DEPTH) return null;
  if (character === '*') {
    const marker = text.startsWith('**', at) ? '**' : '*';
    return emphasis(text, at, marker, depth, inLink, unclosed);
  }
  if (character === '[' && !inLink) return link(text, at, depth, unclosed);
  return null;
}

/**
 * A code span: a run of backticks up to the next run of as many.
 * @param {string} text
 * @param {number} at
 * @param {Set<string>} unclosed
 */
function codeSpan(text, at, unclosed) {
  let end = at;
  while (text[end] === '`') end += 1;
  const run = text.slice(at, end);
  const close = unclosed.has(run) ? -1 : closingRun(text, end, run.length);
  if (close < 0) {
    unclosed.add(run);
    return { node: /** @type {Inline} */ ({ type: 'text', text: run }), end };
  }
  let content = text.slice(end, close).replace(/\n/g, ' ');
  // `` `a` `` shows `a`: one space on both sides is padding.
  if (content.length > 2 && content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') {
    content = content.slice(1, -1);
  }
  return { node: /** @type {Inline} */ ({ type: 'code', text: content }), end: close + run.length };
}

/**
 * Where the next run of exactly `length` backticks from `from` starts, or -1.
 * @param {string} text
 * @param {number} from
 * @param {number} length
 */
function closingRun(text, from, length) {
  for (let at = text.indexOf('`', from); at >= 0; at = text.indexOf('`', at)) {
    let end = at;
    while (text[end] === '`') end += 1;
    if (end - at === length) return at;
    at = end;
  }
  return -1;
}

/**
 * `**bold**` or `*italic*`: the marker before a non-space, closed by the same marker after a
 * non-space; code spans and escapes in between are skipped over.
 * @param {string} text
 * @param {number} at
 * @param {'*' | '**'} marker
 * @param {number} depth
 * @param {boolean} inLink
 * @param {Set<string>} unclosed
 */
function emphasis(text, at, marker, depth, inLink, unclosed) {
  const start = at + marker.length;
  // An unclosed `**` stays text whole, rather than opening an italic at its second `*`.
  const asText = { node: /** @type {Inline} */ ({ type: 'text', text: marker }), end: start };
  if (start >= text.length || /\s/.test(text[start]) || unclosed.has(marker)) return asText;
  const close = closingMarker(text, start, marker);
  if (close < 0) {
    unclosed.add(marker);
    return asText;
  }
  const children = parseInline(text.slice(start, close), depth + 1, inLink);
  const type = marker === '**' ? 'strong' : 'em';
  return { node: /** @type {Inline} */ ({ type, children }), end: close + marker.length };
}

/**
 * @param {string} text
 * @param {number} from
 * @param {'*' | '**'} marker
 */
function closingMarker(text, from, marker) {
  let at = from + 1;
  while (at < text.length) {
    const character = text[at];
    if (character === '\\') {
      at += 2;
    } else if (character === '`') {
      let end = at;
      while (text[end] === '`') end += 1;
      const close = closingRun(text, end, end - at);
      at = close < 0 ? end : close + (end - at);
    } else if (marker === '*' && text.startsWith('**', at)) {
      // `*a **b** c*`: a double marker inside an italic is its bold, not the italic's end.
      at += 2;
    } else if (text.startsWith(marker, at) && !/\s/.test(text[at - 1])) {
      // `***both***`: the bold closes at the run's last two, around the italic's own.
      while (marker === '**' && text[at + 2] === '*') at += 1;
      return at;
    } else {
      at += 1;
    }
  }
  return -1;
}

/**
 * `[text](https://…)`: a link only to an http or https address; anything else stays text.
 * @param {string} text
 * @param {number} at
 * @param {number} depth
 * @param {Set<string>} unclosed
 */
function link(text, at, depth, unclosed) {
  if (unclosed.has('[')) return null;
  const labelEnd = text.indexOf('](', at + 1);
  if (labelEnd < 0) {
    unclosed.add('[');
    return null;
  }
  const hrefEnd = text.indexOf(')', labelEnd + 2);
  const label = text.slice(at + 1, labelEnd);
  const href = hrefEnd < 0 ? '' : text.slice(labelEnd + 2, hrefEnd);
  if (label === '' || label.includes('[') || /[\s<>"]/.test(href)) return null;
  const url = webUrl(href);
  if (!url) return null;
  return {
    node: /** @type {Inline} */ ({ type: 'link', href: url, children: parseInline(label, depth + 1, true) }),
    end: hrefEnd + 1,
  };
}

/**
 * `text` as an absolute http or https URL, or null.
 * @param {string} text
 */
function webUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
