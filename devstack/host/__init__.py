"""A local host for a Python (v2 programming model) function app, for machines without Core Tools.

It does what the Functions host and the Python worker do for an HTTP app: indexes the app
once under the worker's load rules, routes with the route prefix and the route templates,
enforces methods and auth levels, caps bodies and read times, runs as many HTTP invocations
and sync threads at once as one Flex Consumption instance (:mod:`devstack.host.concurrency`),
resolves binding expressions, carries out the SignalR Service and Web PubSub bindings, runs
``queueTrigger`` functions from their storage queues as the Storage Queues extension does
(:mod:`devstack.host.queue_listener`, with host.json's ``extensions.queues``), answers
CORS, and logs a request id on every line, one line per record.
``python -m devstack.host`` runs it; :func:`~devstack.host.server.create_host_app` builds it
in-process (tests do).
"""
