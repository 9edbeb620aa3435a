// One status for the header's pill, from everything that decides whether the open document is
// in sync: the live connection, the document's sync (joined and caught up), and a sync that
// is failing and retrying. "Live" only when all say so: never beside a banner that says the
// service is unreachable. Pure.

export const STATUS = Object.freeze({
  CONNECTING: 'connecting',
  SYNCING: 'syncing',
  LIVE: 'live',
  // Connected, with no document open.
  CONNECTED: 'connected',
  OFFLINE: 'offline',
});

/** @typedef {(typeof STATUS)[keyof typeof STATUS]} Status */

/**
 * What decides the status.
 * @typedef {object} StatusInputs
 * @property {'connecting' | 'connected' | 'reconnecting' | 'offline'} connection  the live connection's state
 * @property {'loading' | 'live' | 'offline' | null} sync  the open document's, null with none open
 * @property {boolean} failing  the document's last try to sync failed (a notice says why)
 */

/**
 * @param {StatusInputs} inputs
 * @returns {{status: Status, label: string, title: string}}
 */
export function documentStatus({ connection, sync, failing }) {
  if (connection === 'offline') {
    return offline('Not connected: messages sent meanwhile appear once the connection is back');
  }
  if (connection !== 'connected') {
    return {
      status: STATUS.CONNECTING,
      label: connection === 'reconnecting' ? 'Reconnecting…' : 'Connecting…',
      title: 'Connecting: new messages appear once connected',
    };
  }
  if (sync === null) {
    return { status: STATUS.CONNECTED, label: 'Connected', title: 'Connected: no document is open' };
  }
  if (sync === 'offline') {
    // Not joined: about to sync, or the document refused (the notice says why).
    return { status: STATUS.OFFLINE, label: 'Not in sync', title: 'This document is not receiving new messages' };
  }
  if (failing) return offline('Not in sync: this document is not receiving new messages yet');
  if (sync === 'loading') {
    return { status: STATUS.SYNCING, label: 'Syncing…', title: 'Catching up on this document' };
  }
  return { status: STATUS.LIVE, label: 'Live', title: 'In sync: new messages appear as they are sent' };
}

/** @param {string} title */
function offline(title) {
  return { status: STATUS.OFFLINE, label: 'Offline — retrying', title };
}
