// Message text as elements: the markdown subset's tree (markdown.js) built with createElement
// and textContent alone, never innerHTML, so no message can inject HTML. Text outside code
// and links gets its web addresses linked and its mentions marked (mention-text.js); every
// block reads in its own direction (dir="auto"). A markdown link opens as linked-text.js's
// links do: a new tab that cannot reach back to this page.

import { parseMarkdown } from '../markdown.js';
import { element } from './element.js';
import { mentionedText } from './mention-text.js';

/** @typedef {import('../markdown.js').Block} Block */
/** @typedef {import('../markdown.js').Inline} Inline */
/** @typedef {import('../mentions.js').Person} Person */
/** @typedef {{mentioned: readonly Person[], ownUserId: string}} Marking */

/**
 * @param {readonly Inline[]} nodes
 * @param {Marking} marking
 * @returns {Node[]}
 */
function inline(nodes, marking) {
  return nodes.flatMap((node) => {
    if (node.type === 'text') return mentionedText(node.text, marking.mentioned, marking.ownUserId);
    if (node.type === 'code') return [element('code', 'message-code', node.text)];
    if (node.type === 'link') {
      const anchor = element('a');
      anchor.href = node.href;
      anchor.target = '_blank';
      anchor.rel = 'noopener noreferrer';
      // Its label's text is not linked again.
      anchor.append(...inline(node.children, { ...marking, mentioned: [] }).map((child) => unlinked(child)));
      return [anchor];
    }
    const formatted = element(node.type === 'strong' ? 'strong' : 'em');
    formatted.append(...inline(node.children, marking));
    return [formatted];
  });
}

// A label's bare web address, linked by mentionedText, is only text inside its link.
/** @param {Node} node */
function unlinked(node) {
  return node instanceof HTMLAnchorElement ? document.createTextNode(node.textContent ?? '') : node;
}

/**
 * @param {Block} block
 * @param {Marking} marking
 * @returns {HTMLElement}
 */
function blockElement(block, marking) {
  if (block.type === 'code-block') {
    const pre = element('pre', 'message-code-block');
    pre.append(element('code', '', block.text));
    return pre;
  }
  if (block.type === 'list') {
    const list = element(block.ordered ? 'ol' : 'ul', 'message-list-block');
    if (block.ordered && block.start !== 1 && list instanceof HTMLOListElement) list.start = block.start;
    for (const item of block.items) {
      const entry = element('li');
      entry.append(...inline(item, marking));
      list.append(entry);
    }
    list.dir = 'auto';
    return list;
  }
  const paragraph = element('p', 'message-paragraph');
  paragraph.dir = 'auto';
  paragraph.append(...inline(block.children, marking));
  return paragraph;
}

/**
 * `text` as block elements, formatted, linked and its mentions marked.
 * @param {string} text
 * @param {readonly Person[]} mentioned  the message's mentions whose names are known
 * @param {string} ownUserId
 * @returns {HTMLElement[]}
 */
export function richText(text, mentioned, ownUserId) {
  return parseMarkdown(text).map((block) => blockElement(block, { mentioned, ownUserId }));
}
