"""One HTTP request and one answer, independent of the HTTP server that carries them.

A `Response` is a whole JSON/text body, a `stream` of chunks (watch, `logs -f`)
sent with chunked transfer encoding, or an `upgrade` that takes the
connection over (exec's WebSocket).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

JSON = "application/json"


@dataclass
class Request:
    method: str
    target: str  # path and query, as sent
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    # A way to tell that the client went away while a stream is idle.
    client_gone: Callable[[], bool] = lambda: False

    def __post_init__(self) -> None:
        split = urlsplit(self.target)
        self.path = split.path
        self.params: dict[str, list[str]] = parse_qs(split.query, keep_blank_values=True)

    def q(self, name: str, default: str = "") -> str:
        values = self.params.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return self.q(name).lower() in ("true", "1")

    def all(self, name: str) -> list[str]:
        return list(self.params.get(name, []))

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    @property
    def content_type(self) -> str:
        return self.header("content-type", JSON).split(";", 1)[0].strip().lower()


@dataclass
class Response:
    code: int = 200
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterator[bytes] | None = None
    upgrade: Callable[[Any], None] | None = None  # takes the handler (its rfile/wfile)

    @classmethod
    def json(cls, obj: Any, code: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(code, json.dumps(obj, separators=(",", ":")).encode(), JSON, dict(headers or {}))

    @classmethod
    def text(cls, text: str, code: int = 200) -> Response:
        return cls(code, text.encode(), "text/plain")
