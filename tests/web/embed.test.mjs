// The panel's pure logic: the theme tokens an embedding site passes (web/js/embed.js) and the
// user App Service's /.auth/me names (web/js/account.js).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { signInUrl, userFromAuthMe } from '../../web/js/account.js';
import { themeFrom } from '../../web/js/embed.js';

// What CSS.supports says of these, as a browser would.
const COLORS = new Set(['#0f766e', 'teal', '#fff']);
/** @param {string} property @param {string} value */
const supports = (property, value) =>
  property === 'color' ? COLORS.has(value) : property === 'border-radius' ? /^\d+px$/.test(value) : value === 'Georgia, serif';

test('each token sets the page properties it names, and its --docchat- name', () => {
  assert.deepEqual(themeFrom('?accent=%230f766e&radius=4px&font=Georgia%2C%20serif', false, supports), {
    '--accent': '#0f766e',
    '--accent-strong': '#0f766e',
    '--docchat-accent': '#0f766e',
    '--radius': '4px',
    '--docchat-radius': '4px',
    '--font': 'Georgia, serif',
    '--docchat-font': 'Georgia, serif',
  });
});

test('a value its property does not take is ignored, and unknown names too', () => {
  assert.deepEqual(themeFrom('?text=url(https://x.test/)&radius=1;%20color:red&onload=x', false, supports), {});
});

test('a -dark token wins while the system is dark, and only then', () => {
  const search = '?surface=%23fff&surface-dark=teal';
  assert.equal(themeFrom(search, false, supports)['--surface'], '#fff');
  assert.equal(themeFrom(search, true, supports)['--surface'], 'teal');
  assert.equal(themeFrom('?surface=%23fff', true, supports)['--surface'], '#fff');
});

test("/.auth/me's user is its object id claim, named by its name claim", () => {
  const answer = [
    {
      provider_name: 'aad',
      user_id: 'ada@example.com',
      user_claims: [
        { typ: 'name', val: 'Ada Lovelace' },
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: '6f1c-oid' },
      ],
    },
  ];
  assert.deepEqual(userFromAuthMe(answer), { id: '6f1c-oid', name: 'Ada Lovelace' });
});

test('nobody signed in: no user', () => {
  for (const answer of [[], {}, null, [{ user_claims: [] }], 'x']) assert.equal(userFromAuthMe(answer), null);
});

test('sign-in comes back to where the reader was', () => {
  const where = /** @type {Location} */ ({ pathname: '/embed', search: '?document=a%20b', hash: '#doc=a+b' });
  assert.equal(
    signInUrl(where),
    '/.auth/login/aad?post_login_redirect_uri=%2Fembed%3Fdocument%3Da%2520b%23doc%3Da%2Bb',
  );
});
