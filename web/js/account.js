// Who the page chats as, and how it signs in: the app's /config.json names the mode
// (DOCCHAT_AUTH). `appservice`: App Service Authentication's session, read from /.auth/me
// (no user there: the page offers "Sign in", to /.auth/login/aad); API calls then carry the
// session cookie and the platform adds the principal, so the page sends no identity itself.
// `dev` (local only): the dev user chosen on the page (or, in the panel, `?user=<name>`),
// sent as the principal headers the app trusts in that mode. `jwt`: the page holds no token,
// so it cannot sign in.

import { identityHeaders, isValidCustomName, loadUser, userFromName } from './identity.js';

/** @typedef {import('./identity.js').User} User */
/** @typedef {'appservice' | 'dev' | 'jwt'} AuthMode */

/**
 * How the page signs in, once known: `user` null means nobody is signed in.
 * @type {{mode: AuthMode, user: User | null}}
 */
export const account = { mode: 'dev', user: null };

/** The claims App Service maps a user's id to, in the order the app reads them (chat/app/identity.py). */
const USER_ID_CLAIMS = [
  'http://schemas.microsoft.com/identity/claims/objectidentifier',
  'oid',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  'sub',
];
const NAME_CLAIMS = ['name', 'preferred_username', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name'];

/**
 * The signed-in user of a /.auth/me answer: a JSON array with one entry per provider signed
 * in, each `{provider_name, user_id, user_claims: [{typ, val}], ...}` (learn.microsoft.com,
 * "Work with OAuth tokens in App Service authentication"); null for nobody.
 * @param {unknown} answer
 * @returns {User | null}
 */
export function userFromAuthMe(answer) {
  const entry = Array.isArray(answer) ? answer[0] : null;
  if (!entry || typeof entry !== 'object') return null;
  /** @type {{typ?: unknown, val?: unknown}[]} */
  const claims = Array.isArray(entry.user_claims) ? entry.user_claims : [];
  /** @param {string[]} types */
  const claim = (types) => {
    for (const type of types) {
      const found = claims.find((item) => item.typ === type && typeof item.val === 'string' && item.val);
      if (found) return /** @type {string} */ (found.val);
    }
    return null;
  };
  const id = claim(USER_ID_CLAIMS) ?? (typeof entry.user_id === 'string' ? entry.user_id : null);
  if (!id) return null;
  return { id, name: claim(NAME_CLAIMS) ?? (typeof entry.user_id === 'string' ? entry.user_id : id) };
}

/**
 * Where "Sign in" goes: App Service's Microsoft Entra sign-in, coming back to this page.
 * @param {Location} where
 */
export function signInUrl(where) {
  const back = `${where.pathname}${where.search}${where.hash}`;
  return `/.auth/login/aad?${new URLSearchParams({ post_login_redirect_uri: back })}`;
}

/**
 * Reads the mode and the user into `account`.
 * @param {{embedded: boolean, search: string}} page
 */
export async function loadAccount(page) {
  const config = await (await fetch('/config.json', { cache: 'no-store' })).json();
  account.mode = config.auth;
  if (account.mode === 'dev') {
    const named = new URLSearchParams(page.search).get('user');
    account.user = page.embedded && named && isValidCustomName(named) ? userFromName(named) : loadUser();
  } else if (account.mode === 'appservice') {
    const answer = await fetch('/.auth/me', { cache: 'no-store', credentials: 'same-origin' });
    account.user = answer.ok ? userFromAuthMe(await answer.json()) : null;
  } else {
    account.user = null;
  }
}

/**
 * What the API calls of `who` carry: the principal headers in dev mode, nothing otherwise.
 * @param {User} who
 */
export function accountHeaders(who) {
  return account.mode === 'dev' ? identityHeaders(who) : {};
}
