"""A deliberately small ASGI layer: a request object, responses, and a path router.

The sandbox sits on the hot path of connector benchmarks, and it needs control over the
transport that frameworks hide (answer late, never answer, drop the connection after the work
is done), so it speaks ASGI directly instead of going through a web framework.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class MalformedJson(ValueError):
    """The body is not a JSON object."""


@dataclass
class Request:
    """One HTTP request, read completely before any handler runs."""

    method: str
    path: str
    #: Path plus ``?query`` exactly as sent: what the HTTP Signature's request-target signs.
    target: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    #: A forced outcome that a handler acts on (``decline``, ``review``, ``reject``).
    forced: dict[str, Any] | None = None

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            doc = json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedJson(str(exc)) from None
        if not isinstance(doc, dict):
            raise MalformedJson("the body must be a JSON object")
        return doc

    @classmethod
    async def read(cls, scope: Scope, receive: Receive) -> Request:
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        qs: bytes = scope.get("query_string", b"")
        target = raw_path.decode("latin-1") + ("?" + qs.decode("latin-1") if qs else "")
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        return cls(
            method=scope["method"].upper(),
            path=scope["path"],
            target=target,
            query=dict(parse_qsl(qs.decode("latin-1"), keep_blank_values=True)),
            headers=headers,
            body=b"".join(chunks),
        )


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/hal+json;charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    async def send(self, send: Send) -> None:
        headers = [
            (b"content-type", self.content_type.encode()),
            (b"content-length", str(len(self.body)).encode()),
        ]
        headers += [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    #: Cybersource routes need an HTTP Signature; the sandbox's own controls do not.
    signed: bool
    name: str


class Router:
    """``{name}`` segments in a path match one path segment; trailing slashes are ignored."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, path: str, handler: Handler, *, signed: bool = True) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path.rstrip("/"))
        self._routes.append(
            Route(method.upper(), re.compile(f"^{regex}/?$"), handler, signed, f"{method} {path}")
        )

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_known): ``path_known`` without a route means 405."""
        known = False
        for route in self._routes:
            m = route.pattern.match(path)
            if m is None:
                continue
            known = True
            if route.method == method:
                return route, m.groupdict(), True
        return None, {}, known

    def methods_for(self, path: str) -> list[str]:
        return sorted({r.method for r in self._routes if r.pattern.match(path)})
