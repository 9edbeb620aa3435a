// Tells the others in the document that this user is typing: on input, while the box holds
// text, at most once every TYPING_EVERY_MS.

// The server drops a connection's typing events closer than 2 s apart, and the others show a
// typist for 4 s after the last one (presence.js): 2.5 s stays clear of the first even with
// network jitter, and well within the second, so a steady typist shows without a gap.
export const TYPING_EVERY_MS = 2500;

/**
 * `send()` tries to tell the server, and says whether it could (not while offline).
 * @param {() => boolean} send
 */
export function createTypingSignal(send) {
  let lastSent = -Infinity;
  return {
    /**
     * The composer's text is now `text`.
     * @param {string} text
     */
    typed(text) {
      const now = performance.now();
      if (!text.trim() || now - lastSent < TYPING_EVERY_MS) return;
      if (send()) lastSent = now;
    },
  };
}
