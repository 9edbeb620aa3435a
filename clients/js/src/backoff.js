// Capped exponential backoff with jitter, shared by the automatic reconnect and the restart loop,
// so many pages that lost the same service do not all come back in the same instant.

const FIRST_RETRY_MS = 1000;
const MAX_DELAY_MS = 10000;
const JITTER = 0.2;

// While an outage is young, reconnect promptly: a service that restarts is back within
// seconds, and each moment of waiting is one the page is behind. Twice a second for the first
// ten seconds (bench.reconnect_storm: the last of 100 clients caught up about half a second
// sooner than at once a second), then once a second (with 1, 2, 4, 8 s back-off a 3 s outage
// took 3.8 s to catch up from). Each try is a negotiate with the app and a connection attempt
// to the service. Past a minute the outage is a long one, and the page backs off to spare both.
const RECONNECT_SCHEDULE = [
  { untilMs: 10000, delayMs: 500 },
  { untilMs: 60000, delayMs: 1000 },
];

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
  const prompt = RECONNECT_SCHEDULE.find(({ untilMs }) => elapsedMs < untilMs);
  return prompt ? jittered(prompt.delayMs) : backoffDelay(attempt);
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
