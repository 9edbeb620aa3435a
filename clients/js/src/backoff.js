// Capped exponential backoff with jitter, shared by the automatic reconnect and the restart loop,
// so many pages that lost the same service do not all come back in the same instant.

const FIRST_RETRY_MS = 1000;
const MAX_DELAY_MS = 10000;
const JITTER = 0.2;

// While an outage is young, reconnect about once a second: a service that restarts is back
// within seconds, and each second of waiting is a second the page is behind (bench.catch_up:
// with 1, 2, 4, 8 s back-off a 3 s outage took 3.8 s to catch up from; this way 1.4 s at most).
// Past a minute the outage is a long one, and the page backs off to spare the service.
const PROMPT_RECONNECT_WINDOW_MS = 60000;
const PROMPT_RECONNECT_MS = 1000;

/**
 * Delay before retry number `attempt` (0 = the first retry, which starts at once).
 * @param {number} attempt
 */
export function backoffDelay(attempt) {
  if (attempt <= 0) return 0;
  return jittered(Math.min(MAX_DELAY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1)));
}

/**
 * Delay before reconnect number `attempt` of an outage that began `elapsedMs` ago.
 * @param {number} attempt
 * @param {number} elapsedMs
 */
export function reconnectDelay(attempt, elapsedMs) {
  if (attempt <= 0) return 0;
  if (elapsedMs < PROMPT_RECONNECT_WINDOW_MS) return jittered(PROMPT_RECONNECT_MS);
  return backoffDelay(attempt);
}

/** @param {number} base */
function jittered(base) {
  const jitter = base * JITTER * (Math.random() * 2 - 1);
  return Math.round(Math.min(MAX_DELAY_MS, base + jitter));
}

/**
 * @param {number} ms
 * @returns {Promise<void>}
 */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
