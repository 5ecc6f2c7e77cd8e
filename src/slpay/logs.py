"""Structured JSON logging with a correlation id, every line passed through the PAN redactor.

``configure_logging()`` is called once by the composition root (CLI entry points). Code logs
with ``get_logger(__name__).info("event_name", key=value)``; ``bind_correlation_id()`` sets the
id carried by every line of the current request or workflow (a context variable, so it follows
asyncio tasks).
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import structlog

from slpay.redact import redact_data

_configured = False


def _redact_processor(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> Any:
    return redact_data(dict(event_dict))


def configure_logging(
    level: str = "INFO",
    *,
    json: bool = True,
    stream: TextIO | None = sys.stderr,
    file: Path | None = None,
) -> None:
    """Configure structlog and the standard library root logger (idempotent).

    Lines go to ``stream`` (None: nowhere) and, when given, are appended to ``file``.
    """
    global _configured
    handlers: list[logging.Handler] = []
    if stream is not None:
        handlers.append(logging.StreamHandler(stream))
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _redact_processor,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        h.setFormatter(formatter)
        root.addHandler(h)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str | None = None) -> Any:
    """A structlog logger; lines are redacted and carry the bound correlation id."""
    return structlog.get_logger(name)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def bind_correlation_id(correlation_id: str | None = None, **extra: Any) -> Iterator[str]:
    """Bind a correlation id (and extra keys) to every log line inside the block."""
    cid = correlation_id or new_correlation_id()
    tokens = structlog.contextvars.bind_contextvars(correlation_id=cid, **extra)
    try:
        yield cid
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
