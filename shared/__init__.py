"""Helpers shared by docchat's packages that belong to none of them: no docchat import here.

- :mod:`shared.once`: a value built once, on first use, however many threads race for it.
- :mod:`shared.breaker`: failing fast while a dependency is known to be down.
- :mod:`shared.connection_string`: Azure SignalR Service and Web PubSub connection strings
  (the same format).
- :mod:`shared.entra`: the Microsoft Entra credential a keyless connection names, and its
  bearer tokens (azure-identity imported on first use).
- :mod:`shared.signals`: the port docchat reports through (invocations, counts, measures);
  nothing happens until telemetry installs its sink.
- :mod:`shared.settled_session`: a requests session that reads the environment's proxies and
  CA bundle once per origin, not on every call (signalr/'s REST client, and the transport below).
- :mod:`shared.pooled_http`: an azure-core HTTP transport that pools a connection for every
  worker thread (the Cosmos DB, Web PubSub and storage queue clients share its kind).
"""
