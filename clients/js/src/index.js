// @docchat/client: docchat for apps that embed chat next to their documents. DocchatClient
// is the way in (the API, the live connection, a session per open document, events); the
// parts it is made of are exported too, for apps that wire them themselves (the demo page's
// views read the stores directly).
//
// Package map:
// - client.js: DocchatClient, its events
// - api.js: createApi (every route a signed-in user calls), ApiError
// - chat-session.js: ChatSession (one open document: sync, catch-up, sending with retry,
//   edits, deletions, reactions, threads, read marker, presence)
// - message-store.js: MessageStore (gapless, ordered by seq, the latest state of each message)
// - threads.js, presence.js, read-marker.js, inbox.js: the thread list, who is here and
//   typing, how far the user has read, the notifications inbox
// - watches.js: the documents heard without being opened (a list's unread counts, live)
// - realtime-connection.js, live-connection.js, web-pubsub-connection.js: the connection on
//   either backend's official client
// - backoff.js, typing-signal.js: reconnect delays; when to say the user types
// - webhooks.js: verifyWebhook, for a backend receiving docchat's webhook deliveries

export { ApiError, createApi, HISTORY_PAGE_SIZE, HUB_URL } from './api.js';
export { backoffDelay, reconnectDelay } from './backoff.js';
export { ChatSession, SYNC_STATE, THREAD_STATE } from './chat-session.js';
export { DocchatClient } from './client.js';
export { Inbox, isNotification } from './inbox.js';
export { CONNECTION_STATE, LiveConnection } from './live-connection.js';
export { MessageStore, STATUS } from './message-store.js';
export { PresenceState, TYPING_SHOWN_MS } from './presence.js';
export { ReadMarker, REPORT_EVERY_MS } from './read-marker.js';
export { RealtimeConnection } from './realtime-connection.js';
export { activityOf, anchorQuote, isThreadRoot, THREAD_FILTER, ThreadList } from './threads.js';
export { createTypingSignal, TYPING_EVERY_MS } from './typing-signal.js';
export { isWebPubSubNegotiation, negotiate, WebPubSubConnection } from './web-pubsub-connection.js';
export { verifyWebhook, WEBHOOK_TOLERANCE_SECONDS, WebhookVerificationError } from './webhooks.js';

/** @typedef {import('./api.js').Api} Api */
/** @typedef {import('./api.js').ApiOptions} ApiOptions */
/** @typedef {import('./api.js').User} User */
/** @typedef {import('./api.js').MessagePage} MessagePage */
/** @typedef {import('./chat-session.js').Clock} Clock */
/** @typedef {import('./chat-session.js').SyncState} SyncState */
/** @typedef {import('./chat-session.js').ThreadState} ThreadState */
/** @typedef {import('./client.js').ClientEvents} ClientEvents */
/** @typedef {import('./client.js').ClientOptions} ClientOptions */
/** @typedef {import('./webhooks.js').WebhookEvent} WebhookEvent */
/** @typedef {import('./client.js').OpenOptions} OpenOptions */
/** @typedef {import('./inbox.js').Notification} Notification */
/** @typedef {import('./live-connection.js').ConnectionState} ConnectionState */
/** @typedef {import('./live-connection.js').RealtimeLibraries} RealtimeLibraries */
/** @typedef {import('./message-store.js').ServerMessage} ServerMessage */
/** @typedef {import('./message-store.js').ShownMessage} ShownMessage */
/** @typedef {import('./message-store.js').Status} Status */
/** @typedef {import('./message-store.js').Person} Person */
/** @typedef {import('./message-store.js').ReactionsChange} ReactionsChange */
/** @typedef {import('./threads.js').ThreadFilter} ThreadFilter */
