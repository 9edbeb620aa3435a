// The header pill that says whether live updates are flowing.

import { CONNECTION_STATE } from '@docchat/client';

const LABELS = Object.freeze({
  [CONNECTION_STATE.CONNECTING]: 'Connecting…',
  [CONNECTION_STATE.CONNECTED]: 'Live',
  [CONNECTION_STATE.RECONNECTING]: 'Reconnecting…',
  [CONNECTION_STATE.OFFLINE]: 'Offline, retrying',
});

/**
 * @param {HTMLElement} pill  holds the `.pill-label` element
 * @param {import('@docchat/client').ConnectionState} state
 */
export function renderConnectionState(pill, state) {
  pill.dataset.state = state;
  /** @type {HTMLElement} */ (pill.querySelector('.pill-label')).textContent = LABELS[state];
  pill.title =
    state === CONNECTION_STATE.CONNECTED
      ? 'Connected: new messages appear as they are sent'
      : 'Not connected: messages sent meanwhile appear once the connection is back';
}
