"""The cost of the outbox, mentions and webhooks to a send, and the time from a send to
the mentioned user's notification: ``python -m bench.notifications``.

- ``__main__``: the arms, their figures and the report;
- ``stack``: the local stack with or without the work queues, and the queue calls it serves;
- ``receivers``: a webhook receiver that answers at once, and one that never answers;
- ``listener.mjs``: the mentioned user's official SignalR client.
"""
