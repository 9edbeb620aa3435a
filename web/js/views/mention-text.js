// Message text with its mentions marked: each `@Name` of a user the message mentions is a
// span (the current user's stands out more), inside the text runs that linked-text.js leaves
// between links. Only text nodes, anchors and spans are made, every one through textContent,
// so no message can inject HTML.

import { mentionRuns } from '../mentions.js';
import { element } from './element.js';
import { linkedText } from './linked-text.js';

/** @typedef {import('../mentions.js').Person} Person */

/**
 * @param {string} text
 * @param {readonly Person[]} mentioned  the message's mentions whose names are known
 * @param {string} ownUserId
 */
function marked(text, mentioned, ownUserId) {
  return mentionRuns(text, mentioned).map(({ text: run, person }) => {
    if (person === null) return document.createTextNode(run);
    const own = person.id === ownUserId;
    const mention = element('span', own ? 'mention mention-me' : 'mention', run);
    Object.assign(mention.dataset, { testid: 'mention', userId: person.id });
    return mention;
  });
}

/**
 * `text` as nodes: links clickable, mentions marked.
 * @param {string} text
 * @param {readonly Person[]} mentioned
 * @param {string} ownUserId
 * @returns {Node[]}
 */
export function mentionedText(text, mentioned, ownUserId) {
  const nodes = linkedText(text);
  if (mentioned.length === 0) return nodes;
  return nodes.flatMap((node) => (node instanceof Text ? marked(node.data, mentioned, ownUserId) : [node]));
}
