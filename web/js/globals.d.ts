// What the page's scripts find on window besides the DOM, for the type checks (tsconfig.json).

// The SignalR client, which /vendor/signalr.min.js (a classic script, loaded before the
// modules) puts on window: its types are the npm package's.
interface Window {
  signalR: typeof import('@microsoft/signalr');
}
