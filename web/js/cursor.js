// Where a cursor sits in its document's change stream, where every new message, edit,
// deletion and reaction takes the next position. The API hands cursors out as opaque tokens;
// the page reads the position in them (base64url of "c1:<position>") for the two questions
// only a position answers: which of two states of one message is the later, and up to where
// the store holds the whole stream. NaN for anything that is not such a cursor.

const DECODED = /^c1:(0|[1-9]\d{0,15})$/;

export function cursorPosition(cursor) {
  if (typeof cursor !== 'string') return Number.NaN;
  let decoded;
  try {
    decoded = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return Number.NaN;
  }
  const match = DECODED.exec(decoded);
  return match ? Number(match[1]) : Number.NaN;
}
