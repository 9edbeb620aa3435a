// The page's entry: learns how users sign in (account.js), becomes the panel at /embed
// (embed.js), then starts the chat (app.js) for a signed-in user, or offers "Sign in".

import { account, loadAccount, signInUrl } from './account.js';
import { becomePanel, isEmbedded } from './embed.js';

const embedded = isEmbedded(window.location);
if (embedded) becomePanel(document, window.location);

/** Shows the sign-in screen instead of the chat; in a frame the sign-in opens in a new tab
 * (Microsoft Entra's pages refuse to be framed) and the panel starts once it sees a user. */
function offerSignIn() {
  document.getElementById('app')?.setAttribute('hidden', '');
  const screen = /** @type {HTMLElement} */ (document.getElementById('sign-in'));
  const link = /** @type {HTMLAnchorElement} */ (document.getElementById('sign-in-link'));
  screen.hidden = false;
  document.documentElement.dataset.started = 'sign-in';
  if (account.mode !== 'appservice') {
    link.hidden = true;
    /** @type {HTMLElement} */ (document.getElementById('sign-in-text')).textContent =
      'This deployment signs users in with bearer tokens, which this page does not hold.';
    return;
  }
  link.href = signInUrl(window.location);
  if (embedded) {
    link.target = '_blank';
    window.addEventListener('focus', () => start(), { once: true });
  }
}

async function start() {
  await loadAccount({ embedded, search: window.location.search });
  // The dev user panel is the dev sign-in's alone.
  if (account.mode !== 'dev') document.getElementById('user-form')?.closest('section')?.setAttribute('hidden', '');
  if (account.user === null) {
    offerSignIn();
    return;
  }
  document.getElementById('sign-in')?.setAttribute('hidden', '');
  document.getElementById('app')?.removeAttribute('hidden');
  await import('./app.js');
  // What waits for the page (a test, an embedding site's script) can tell it is up.
  document.documentElement.dataset.started = 'chat';
}

await start();
