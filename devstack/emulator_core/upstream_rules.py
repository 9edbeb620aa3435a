"""Upstream settings: which URL, if any, hears an event of a hub.

Both services configure their upstream the same way: SignalR's categories are
``connections`` and ``messages``; Web PubSub's event handlers take system events
(``connect``, ``connected``, ``disconnected``) and user events, so its emulator calls those
categories ``system`` and ``user`` (Azure docs howto-develop-eventhandler: URL template with
``{hub}`` and ``{event}``, system events, user event pattern, first match wins).

An upstream setting is an ordered list of rules, each a URL template and three patterns (hub,
category, event); the first rule whose patterns all match an event is used, and an event no
rule matches is not sent (azure-signalr Emulator/Upstreams/HttpUpstreamTrigger.cs
TryGetMatchedUpstreamContext, "order matters"). A pattern is ``*`` (anything), one name, or
names separated by commas, compared exactly as the emulator's ``HashSet<string>`` does
(Upstreams/UpstreamTemplateItem.cs). ``{hub}``, ``{category}`` and ``{event}`` in a template
are replaced by the event's values, URI-escaped (Common/Utils.cs GetUpstreamUrl).

A rule may also authenticate the service to its URL, as a template's ``auth: {type:
'ManagedIdentity', managedIdentity: {resource}}`` does in Azure (the resource provider's
UpstreamAuthSettings): each request then carries ``Authorization: Bearer`` with a token the
service's managed identity got for ``resource`` (the emulator's ``upstream_identity`` makes it).

On the command line a rule is its URL template, optionally followed by ``hub=``,
``category=`` and ``event=`` patterns and an ``auth=<resource>``, separated by spaces (a URL
has no space), e.g. ``http://127.0.0.1:7071/runtime/webhooks/signalr event=connected,typing``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

__all__ = ["UpstreamRule", "first_upstream_rule", "first_upstream_url", "parse_upstream_rule"]

_PLACEHOLDER = re.compile(r"\{(hub|category|event)\}")
_ANY = "*"
_PATTERN_NAMES = ("hub", "category", "event")


@dataclass(frozen=True)
class UpstreamRule:
    """One URL template and the events it receives."""

    url_template: str
    hubs: frozenset[str] = frozenset({_ANY})
    categories: frozenset[str] = frozenset({_ANY})
    events: frozenset[str] = frozenset({_ANY})
    #: ``auth.managedIdentity.resource``: the token's audience; None sends no token.
    auth_resource: str | None = None

    def matches(self, hub: str, category: str, event: str) -> bool:
        """Whether this rule receives ``event`` of ``category`` in ``hub``."""
        return all(
            _ANY in allowed or value in allowed
            for allowed, value in (
                (self.hubs, hub),
                (self.categories, category),
                (self.events, event),
            )
        )

    def url(self, hub: str, category: str, event: str) -> str:
        """The template with its placeholders filled in, each value URI-escaped as .NET's
        ``Uri.EscapeDataString`` escapes (everything but unreserved characters)."""
        values = {"hub": hub, "category": category, "event": event}
        return _PLACEHOLDER.sub(
            lambda found: quote(values[found[1]], safe="-._~"), self.url_template
        )


def first_upstream_rule(
    rules: Sequence[UpstreamRule], hub: str, category: str, event: str
) -> UpstreamRule | None:
    """The first rule that matches; None when no rule does."""
    return next((rule for rule in rules if rule.matches(hub, category, event)), None)


def first_upstream_url(
    rules: Sequence[UpstreamRule], hub: str, category: str, event: str
) -> str | None:
    """The URL of the first rule that matches; None when no rule does."""
    rule = first_upstream_rule(rules, hub, category, event)
    return None if rule is None else rule.url(hub, category, event)


def parse_upstream_rule(text: str) -> UpstreamRule:
    """A rule from its command-line form; ValueError saying what is wrong."""
    if not text.split():
        raise ValueError("an upstream rule needs a URL template")
    template, *patterns = text.split()
    found: dict[str, frozenset[str]] = {}
    auth_resource: str | None = None
    for pattern in patterns:
        name, equals, value = pattern.partition("=")
        if name == "auth" and equals and value and auth_resource is None:
            auth_resource = value
            continue
        if not equals or name not in _PATTERN_NAMES or name in found:
            raise ValueError(
                f"upstream rule {text!r}: after the URL template come hub=, category= and "
                f"event= patterns and auth=<resource>, each at most once; {pattern!r} is "
                "none of them"
            )
        found[name] = frozenset(item.strip() for item in value.split(","))
    _check_template(template)
    return UpstreamRule(
        template,
        hubs=found.get("hub", frozenset({_ANY})),
        categories=found.get("category", frozenset({_ANY})),
        events=found.get("event", frozenset({_ANY})),
        auth_resource=auth_resource,
    )


def _check_template(template: str) -> None:
    """The service refuses a template that does not give an absolute URL."""
    sample = UpstreamRule(template).url("hub", "messages", "event")
    parts = urlsplit(sample)
    if parts.scheme not in ("http", "https") or not parts.hostname or "{" in sample:
        raise ValueError(
            f"upstream URL template {template!r} must give an absolute http or https URL; "
            "its placeholders are {hub}, {category} and {event}"
        )
