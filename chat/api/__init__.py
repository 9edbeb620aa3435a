"""chat's HTTP surface: requests in, status and JSON out, without a framework.

- :mod:`chat.api.http`: framework-neutral requests and responses; reading a JSON body.
- :mod:`chat.api.failures`: the one place a failure becomes its status, code and body.
- :mod:`chat.api.inputs`: what callers may send: bodies and query strings (pydantic).
- :mod:`chat.api.endpoints`: the document, message and member endpoints.
- :mod:`chat.api.negotiation`: where a client learns how to connect.
- :mod:`chat.api.openapi`: the OpenAPI description of the API.
"""
