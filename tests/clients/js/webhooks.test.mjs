// verifyWebhook against deliveries signed by Node's own HMAC (node:crypto), as the Standard
// Webhooks spec signs them: `${id}.${timestamp}.${body}`, the key the secret's base64.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { verifyWebhook, WebhookVerificationError } from '../../../clients/js/src/webhooks.js';

const key = randomBytes(32);
const secret = `whsec_${key.toString('base64')}`;
const now = 1_765_000_000;
const body = JSON.stringify({ type: 'message.created', timestamp: 'now', data: { id: 'm1' } });

/** @param {string} content */
function signature(content, signingKey = key) {
  return createHmac('sha256', signingKey).update(content).digest('base64');
}

/** @param {Record<string, string>} [overrides] */
function delivery(overrides = {}) {
  return {
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(now),
    'webhook-signature': `v1,${signature(`msg_1.${now}.${body}`)}`,
    ...overrides,
  };
}

test('a delivery signed with the secret gives its event', async () => {
  assert.deepEqual(await verifyWebhook(delivery(), body, secret, now), JSON.parse(body));
});

test('any of several signatures may match, as while a secret is rotated', async () => {
  const other = signature(`msg_1.${now}.${body}`, randomBytes(32));
  const headers = delivery({ 'webhook-signature': `v1,${other} ${delivery()['webhook-signature']}` });
  assert.deepEqual(await verifyWebhook(new Headers(headers), body, secret, now), JSON.parse(body));
});

test('a changed body, id or secret is refused', async () => {
  const other = `whsec_${randomBytes(32).toString('base64')}`;
  await assert.rejects(verifyWebhook(delivery(), `${body} `, secret, now), WebhookVerificationError);
  const renamed = delivery({ 'webhook-id': 'msg_2' });
  await assert.rejects(verifyWebhook(renamed, body, secret, now), WebhookVerificationError);
  await assert.rejects(verifyWebhook(delivery(), body, other, now), WebhookVerificationError);
});

test('a delivery more than five minutes from now, or with a header missing, is refused', async () => {
  await assert.rejects(verifyWebhook(delivery(), body, secret, now + 301), WebhookVerificationError);
  await assert.rejects(verifyWebhook(delivery(), body, secret, now - 301), WebhookVerificationError);
  const { 'webhook-signature': _, ...unsigned } = delivery();
  await assert.rejects(verifyWebhook(unsigned, body, secret, now), WebhookVerificationError);
});
