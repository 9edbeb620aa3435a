// One function expression, evaluated in the page by test_page_gapless.py: the page's own
// ChatSession against a small in-page stand-in for the API, so a test can script exactly
// which pushes go missing and how each send fails. It resolves once the session has settled
// (nothing pending, nothing missing) with what the API was asked and what the store shows.
//
// before: texts stored before the session opens; missed: texts stored after it is live, of
// which only those at the indices in `pushed` reach it live; sends: [{text, failures}],
// sent back to back, each failing first with `failures` ({status, stored}) in turn.
// expired (default 0): how many of the oldest messages the server no longer has when the
// session opens (their time to live ran out), so seq no longer starts at 1.
async ({ before, missed, pushed, sends, expired = 0 }) => {
  const { ChatSession } = await import('/lib/docchat-client/chat-session.js');
  const { ApiError } = await import('/lib/docchat-client/api.js');
  // The stand-in's cursors are its own, as the server's are opaque: the stream position.
  const cursorAt = (position) => `probe-${position}`;
  const cursorPosition = (cursor) => Number(cursor.slice('probe-'.length));
  const stored = [];
  const calls = [];
  const keep = (id, text) => {
    const seq = stored.length + 1;
    const createdAt = new Date().toISOString();
    const message = { id, documentId: 'probe', senderId: 'alice', senderName: 'Alice', text, createdAt, seq, position: seq, cursor: cursorAt(seq) };
    stored.push(message);
    return message;
  };
  const live = () => stored.slice(Math.min(expired, stored.length));
  const failures = new Map(sends.map((send) => [send.text, [...send.failures]]));
  const api = {
    join: async () => null,
    presence: async () => ({ users: [] }),
    readStatus: async () => ({ seq: 0, unread: 0 }),
    history: async () => ({ items: live().reverse(), continuationToken: null }),
    messagesAfter: async (_, cursor) => {
      calls.push(['after', cursorPosition(cursor)]);
      const after = live().filter((message) => message.position > cursorPosition(cursor));
      return { items: after, continuationToken: null };
    },
    sendMessage: async (_, { id, text }) => {
      calls.push(['send', text, id]);
      const failure = failures.get(text).shift();
      if (failure?.stored === true) keep(id, text);
      if (failure) {
        throw new ApiError(failure.status, 'probe', `failed with ${failure.status}`, { stored: failure.stored });
      }
      return stored.find((message) => message.id === id) ?? keep(id, text);
    },
  };

  before.forEach((text, index) => keep(`before-${index}`, text));
  const user = { id: 'alice', name: 'Alice' };
  const session = new ChatSession({ documentId: 'probe', api, user, onChange() {}, onNotice() {} });
  await session.sync('probe-connection');
  const late = missed.map((text, index) => keep(`missed-${index}`, text));
  for (const index of pushed) session.receive(late[index]);
  for (const { text } of sends) session.send(text);

  const { store } = session;
  const settled = () =>
    !store.incomplete &&
    store.contiguousSeq === stored.length &&
    store.ordered.every((message) => message.status !== 'pending');
  await new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`never settled: ${JSON.stringify(calls)}`)), 20000);
    const check = () => {
      if (!settled()) return;
      clearTimeout(deadline);
      resolve();
    };
    store.subscribe(check);
    check();
  });
  return { calls, shown: store.ordered.map((message) => [message.seq ?? null, message.text, message.status]) };
}
