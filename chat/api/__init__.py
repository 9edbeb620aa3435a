"""chat's HTTP surface: requests in, status and JSON out, without a framework.

- :mod:`chat.api.http`: framework-neutral requests and responses; reading a JSON body.
- :mod:`chat.api.failures`: the one place a failure becomes its status, code and body.
- :mod:`chat.api.inputs`: what callers may send: bodies and query strings (pydantic), and
  the path parameters' schemas.
- :mod:`chat.api.outputs`: what docchat answers: the response bodies (pydantic).
- :mod:`chat.api.endpoints`: the document, message, thread, member, inbox and people
  endpoints.
- :mod:`chat.api.negotiation`: where a client learns how to connect.
- :mod:`chat.api.routes`: the route table (each row: a function and its operation) and the
  endpoint groups, built once.
- :mod:`chat.api.openapi`: the OpenAPI description, generated from the route table and the
  models.
"""
