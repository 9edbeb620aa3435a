// The reconnect schedule of clients/js/src/backoff.js: at once, then twice a second while an
// outage is young, once a second until a minute has passed, then capped exponential back-off;
// every delay but the first jittered by ±20 %, so pages that lost the same service spread out.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { backoffDelay, reconnectDelay } from '../../../clients/js/src/backoff.js';

/** Many draws of `delay`, so that the jitter shows its range. */
function draws(delay) {
  return Array.from({ length: 200 }, delay);
}

function assertWithin(values, low, high) {
  for (const value of values) assert.ok(low <= value && value <= high, `${value} not in ${low}..${high}`);
  assert.ok(new Set(values).size > 1, 'the delays are jittered');
}

describe('reconnectDelay', () => {
  test('starts the first reconnect at once', () => {
    assert.equal(reconnectDelay(0, 0), 0);
    assert.equal(reconnectDelay(0, 120000), 0);
  });

  test('retries twice a second for the first ten seconds of an outage', () => {
    assertWithin(draws(() => reconnectDelay(1, 0)), 400, 600);
    assertWithin(draws(() => reconnectDelay(12, 9999)), 400, 600);
  });

  test('then once a second until a minute has passed', () => {
    assertWithin(draws(() => reconnectDelay(20, 10000)), 800, 1200);
    assertWithin(draws(() => reconnectDelay(60, 59999)), 800, 1200);
  });

  test('then backs off as backoffDelay does, up to ten seconds', () => {
    assertWithin(draws(() => reconnectDelay(2, 60000)), 1600, 2400);
    assertWithin(draws(() => reconnectDelay(90, 600000)), 8000, 10000);
  });
});

describe('backoffDelay', () => {
  test('doubles from one second, capped at ten', () => {
    assert.equal(backoffDelay(0), 0);
    assertWithin(draws(() => backoffDelay(1)), 800, 1200);
    assertWithin(draws(() => backoffDelay(3)), 3200, 4800);
    assertWithin(draws(() => backoffDelay(30)), 8000, 10000);
  });
});
