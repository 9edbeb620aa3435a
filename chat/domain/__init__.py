"""chat's domain: values, rules and errors; no I/O, no HTTP, no knowledge of the use cases.

- :mod:`chat.domain.messages`: messages (and their threads' summaries), timestamps, cursors,
  page tokens, and the rules for ids, names and text.
- :mod:`chat.domain.users`: who a request is from.
- :mod:`chat.domain.changes`: edit, delete, react and unreact, as pure functions.
- :mod:`chat.domain.threads`: replies and their roots' summaries, resolution, anchors.
- :mod:`chat.domain.notifications`: who a happening notifies (mentions, replies), the
  notification value, its deterministic id, the inbox's page token.
- :mod:`chat.domain.ratelimit`: how fast one user may post.
- :mod:`chat.domain.webhooks`: webhooks: events, names, secrets, delivery ids, and which
  URLs and addresses one may reach (SSRF).
- :mod:`chat.domain.errors`: every deliberate failure, and what a caller needs to know of it.
"""
