// Checking a docchat webhook delivery where it is received (a backend in Node, Deno, a
// worker): the Standard Webhooks signature docchat signs every delivery with.
//
// The signed content is `${webhook-id}.${webhook-timestamp}.${body}`; `webhook-signature`
// holds space-separated `v1,<base64 HMAC-SHA256>` entries, any of which may match (a secret
// being rotated); the key is the secret's base64 after `whsec_`; a timestamp further than
// five minutes from now is refused, as the standardwebhooks libraries refuse it.

/** How far a delivery's timestamp may be from now, in seconds. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
const SECRET_PREFIX = 'whsec_';

/**
 * @typedef {{ type: string, timestamp: string, data: unknown }} WebhookEvent
 */

/** Thrown when a delivery's signature, timestamp or body does not check out. */
export class WebhookVerificationError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/**
 * The event a delivery carries, once its signature checks out for `secret`.
 * @param {Record<string, string | undefined> | Headers} headers the delivery's headers
 * @param {string} body the delivery's body, exactly as received
 * @param {string} secret the webhook's `whsec_...` secret
 * @param {number} [now] seconds since the epoch (the clock, by default)
 * @returns {Promise<WebhookEvent>}
 */
export async function verifyWebhook(headers, body, secret, now = Date.now() / 1000) {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookVerificationError('the delivery is too old or from the future');
  }
  const expected = await sign(secret, `${id}.${timestamp}.${body}`);
  const offered = signatures.split(' ').filter((entry) => entry.startsWith('v1,'));
  if (!offered.some((entry) => sameText(entry.slice(3), expected))) {
    throw new WebhookVerificationError('no signature matches the secret');
  }
  return /** @type {WebhookEvent} */ (JSON.parse(body));
}

/**
 * @param {Record<string, string | undefined> | Headers} headers
 * @param {string} name
 */
function header(headers, name) {
  const value = headers instanceof Headers ? headers.get(name) : headers[name];
  if (!value) throw new WebhookVerificationError(`the delivery has no ${name} header`);
  return value;
}

/**
 * The base64 HMAC-SHA256 of `content` with the secret's key.
 * @param {string} secret
 * @param {string} content
 */
async function sign(secret, content) {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const raw = Uint8Array.from(atob(encoded), (character) => character.charCodeAt(0));
  const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(content));
  return btoa(String.fromCharCode(...new Uint8Array(mac)));
}

/**
 * Whether two strings are equal, in a time that does not depend on where they differ.
 * @param {string} left
 * @param {string} right
 */
function sameText(left, right) {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let index = 0; index < left.length; index += 1) {
    difference |= left.charCodeAt(index) ^ right.charCodeAt(index);
  }
  return difference === 0;
}
