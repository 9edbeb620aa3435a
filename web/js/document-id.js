// The document-id rule, the API's own (chat/domain/messages.py, check_document_id): 1 to 255
// characters; not . or ..; no leading or trailing whitespace; none of / \ ? #; no control,
// format (zero-width, bidi), surrogate, private-use, line-separator or U+FFFD character; no
// percent-escape; in Unicode NFC; and no leading _ (docchat's own partitions start so). The
// page checks links and the "open by id" box with it, so it never asks for an id the API
// refuses; the problems it names are in plain words, for people, not the rule's terms.

export const MAX_DOCUMENT_ID_LENGTH = 255;
const RESERVED = /[/\\?#]/;
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\uFFFD\uFFFE\uFFFF]/u;
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

/**
 * Why `id` cannot name a document ("is empty", ...), or null when it can.
 * @param {string} id
 */
export function documentIdProblem(id) {
  // Counted in code points, as the API counts characters.
  const length = [...id].length;
  if (length === 0) return 'is empty';
  if (length > MAX_DOCUMENT_ID_LENGTH) {
    return `is ${length} characters long, over the ${MAX_DOCUMENT_ID_LENGTH} allowed`;
  }
  if (id === '.' || id === '..') return 'is only a dot or two';
  if (id.trim() !== id) return 'begins or ends with a space';
  if (RESERVED.test(id)) return 'contains / \\ ? or #';
  if (UNPRINTABLE.test(id)) return 'contains an invisible character';
  if (PERCENT_ESCAPE.test(id)) return 'contains an encoded character such as %20';
  if (id.normalize('NFC') !== id) return 'has an accented letter written in an unusual way';
  if (id.startsWith('_')) return 'starts with an underscore, which docchat keeps for itself';
  return null;
}
