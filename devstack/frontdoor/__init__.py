"""The front door of a local stack with several app instances, as Azure's front end is one.

- :mod:`devstack.frontdoor.proxy`: :class:`~devstack.frontdoor.proxy.FrontDoor`, round robin
  with no affinity, forwarding each request and answer unchanged.
- ``python -m devstack.frontdoor``: serve it in front of the instances named on the command
  line (what :class:`devstack.stack.LocalStack` starts when ``instances`` is more than 1).
"""
