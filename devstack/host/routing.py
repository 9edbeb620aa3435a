"""Route templates of HTTP functions, matched the way the Functions host matches them.

A template is ASP.NET Core's syntax, one segment at a time: a literal (matched ignoring case),
``{name}``, ``{name?}`` (optional, trailing only), ``{name:constraint}`` and ``{*name}`` (the
rest of the path). When several templates match, the most specific wins: literals before
constrained parameters before plain ones before catch-alls.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import unquote

__all__ = [
    "MethodNotAllowed",
    "RouteError",
    "RouteMatch",
    "RouteTable",
    "RouteTemplate",
    "decode_segment",
    "has_null",
]

T = TypeVar("T")

_PARAMETER = re.compile(
    r"\{(?P<star>\*{1,2})?(?P<name>[A-Za-z_][\w-]*)(?::(?P<constraint>[^?}]+))?(?P<optional>\?)?\}"
)


def _is_number(kind: type[float]) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            kind(value)
        except ValueError:
            return False
        return True

    return check


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


_CONSTRAINTS: dict[str, Callable[[str], bool]] = {
    "int": lambda value: re.fullmatch(r"-?\d+", value) is not None,
    "long": lambda value: re.fullmatch(r"-?\d+", value) is not None,
    "bool": lambda value: value.lower() in ("true", "false"),
    "alpha": lambda value: re.fullmatch(r"[A-Za-z]+", value) is not None,
    "guid": _is_guid,
    "double": _is_number(float),
    "float": _is_number(float),
    "decimal": _is_number(float),
}


class RouteError(ValueError):
    """A route template uses syntax the dev host does not understand."""


@dataclass(frozen=True)
class _Segment:
    """One path segment of a template: a literal, or a parameter with its rules."""

    literal: str | None = None
    name: str | None = None
    check: Callable[[str], bool] | None = None
    optional: bool = False
    catch_all: bool = False

    @property
    def rank(self) -> int:
        """Lower is more specific."""
        if self.literal is not None:
            return 0
        if self.catch_all:
            return 4
        if self.optional:
            return 3
        return 1 if self.check else 2

    def accepts(self, value: str) -> bool:
        if self.literal is not None:
            return value.lower() == self.literal.lower()
        return self.check is None or self.check(value)


@dataclass(frozen=True)
class RouteTemplate:
    """A parsed route template, e.g. ``documents/{id:int}/messages``."""

    text: str
    segments: tuple[_Segment, ...] = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> RouteTemplate:
        """Parse ``text`` or raise :class:`RouteError` naming the faulty segment."""
        segments = tuple(_segment(part, text) for part in text.split("/") if part)
        for position, segment in enumerate(segments):
            rest = segments[position + 1 :]
            if segment.catch_all and rest:
                raise RouteError(f"route {text!r}: a catch-all parameter must come last")
            if segment.optional and any(not later.optional for later in rest):
                raise RouteError(f"route {text!r}: only trailing parameters may be optional")
        return cls(text=text, segments=segments)

    @property
    def precedence(self) -> tuple[tuple[int, ...], int]:
        """Sort key: more specific templates first."""
        return tuple(segment.rank for segment in self.segments), -len(self.segments)

    def match(self, path: Sequence[str]) -> dict[str, str] | None:
        """The route parameters if ``path`` (decoded segments) fits this template, else None."""
        values: dict[str, str] = {}
        for position, segment in enumerate(self.segments):
            if segment.catch_all:
                if position < len(path):
                    values[segment.name or ""] = "/".join(path[position:])
                return values
            if position >= len(path):
                return values if segment.optional else None
            if not segment.accepts(path[position]):
                return None
            if segment.name is not None:
                values[segment.name] = path[position]
        return values if len(path) == len(self.segments) else None


def _segment(part: str, template: str) -> _Segment:
    if "{" not in part and "}" not in part:
        return _Segment(literal=part)
    found = _PARAMETER.fullmatch(part)
    if found is None:
        raise RouteError(
            f"route {template!r}: segment {part!r} must be a literal or one whole {{parameter}}"
        )
    return _Segment(
        name=found["name"],
        check=_constraint(found["constraint"], template),
        optional=found["optional"] is not None,
        catch_all=found["star"] is not None,
    )


def _constraint(text: str | None, template: str) -> Callable[[str], bool] | None:
    if text is None:
        return None
    regex = re.fullmatch(r"regex\((.+)\)", text)
    if regex:
        pattern = re.compile(regex[1])
        return lambda value: pattern.search(value) is not None
    if text not in _CONSTRAINTS:
        known = ", ".join([*_CONSTRAINTS, "regex(...)"])
        raise RouteError(f"route {template!r}: unknown constraint {text!r} (known: {known})")
    return _CONSTRAINTS[text]


@dataclass(frozen=True)
class RouteMatch(Generic[T]):
    """A route that fits the request: its target and the route parameters."""

    target: T
    params: dict[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    """The path fits at least one route, but none takes the request's method."""

    allowed: frozenset[str]


@dataclass(frozen=True)
class _Route(Generic[T]):
    template: RouteTemplate
    methods: frozenset[str] | None
    target: T


class RouteTable(Generic[T]):
    """Finds the target for a method and a path among routes below one prefix."""

    def __init__(self, prefix: str, routes: Iterable[tuple[str, Iterable[str] | None, T]]) -> None:
        self.prefix = tuple(part for part in prefix.split("/") if part)
        built = [
            _Route(RouteTemplate.parse(text), _methods(methods), target)
            for text, methods, target in routes
        ]
        self._routes = sorted(built, key=lambda route: route.template.precedence)

    def resolve(self, method: str, raw_path: str) -> RouteMatch[T] | MethodNotAllowed | None:
        """Resolve ``raw_path`` (still percent-encoded, so ``%2F`` stays inside a segment)."""
        path = [decode_segment(part) for part in raw_path.split("/") if part]
        if [part.lower() for part in path[: len(self.prefix)]] != [
            part.lower() for part in self.prefix
        ]:
            return None
        path = path[len(self.prefix) :]
        allowed: set[str] = set()
        for route in self._routes:
            params = route.template.match(path)
            if params is None:
                continue
            if route.methods is None or method.upper() in route.methods:
                return RouteMatch(route.target, params)
            allowed |= route.methods
        return MethodNotAllowed(frozenset(allowed)) if allowed else None


def decode_segment(segment: str) -> str:
    """A path segment as Kestrel decodes it (dotnet/aspnetcore src/Shared/UrlDecoder/
    UrlDecoder.cs DecodeInPlace): percent-encoded UTF-8 becomes its text, and bytes that are
    not well-formed UTF-8 (``%FF``, an encoded surrogate such as ``%ED%A0%80``) stay
    percent-encoded instead of turning into U+FFFD, so ``%FF`` and ``%FE`` stay two paths and
    an app can tell them from a real U+FFFD. (Their hex digits come back upper case.)"""
    decoded = unquote(segment, errors="surrogateescape")
    return _ESCAPED_BYTE.sub(lambda byte: f"%{ord(byte.group()) - 0xDC00:02X}", decoded)


#: What ``surrogateescape`` makes of a byte that is not UTF-8.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def has_null(raw_path: str) -> bool:
    """Kestrel refuses a path with an encoded NUL ("The path contains null characters.")."""
    return "%00" in raw_path


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(method.upper() for method in methods)
