// Capped exponential backoff with jitter, shared by the automatic reconnect and the restart loop,
// so many pages that lost the same service do not all come back in the same instant.

const FIRST_RETRY_MS = 1000;
const MAX_DELAY_MS = 10000;
const JITTER = 0.2;

/** Delay before retry number `attempt` (0 = the first retry, which starts at once). */
export function backoffDelay(attempt) {
  if (attempt <= 0) return 0;
  const base = Math.min(MAX_DELAY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1));
  const jitter = base * JITTER * (Math.random() * 2 - 1);
  return Math.round(Math.min(MAX_DELAY_MS, base + jitter));
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
