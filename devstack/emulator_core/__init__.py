"""What the local service emulators (:mod:`devstack.signalr`, :mod:`devstack.webpubsub`) share:
the registry of connections and groups, per-connection outboxes and socket writers, token
checks (AccessKey tokens in ``tokens``, a local Microsoft Entra issuer's in ``entra``), the
service's error shape and HTTP middleware, name checks, the REST calls and the
operations both services answer alike (``rest_calls``), the aiohttp app and server
(``serving``), Azure's round trip added to REST calls (``latency``), upstream rules and
sending (``upstream_rules``, ``upstream``), the command line (``cli``), and running a server
in a background thread or until a signal. Each emulator adds its own protocols on top."""
