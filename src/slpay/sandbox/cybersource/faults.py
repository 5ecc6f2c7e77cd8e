"""Forced outcomes for the next matching requests (``POST /sandbox/force``).

Outcomes, and what the client sees:

- ``decline`` (``reason``, default PROCESSOR_DECLINED), ``review``, ``reject``: the next
  authorization is recorded with that outcome (201, as Cybersource answers them);
- ``server_error``: ``status`` (default 502) with a SERVER_ERROR body; nothing happens;
- ``rate_limit``: 429 with ``Retry-After: retryAfter`` (default 1 s); nothing happens;
- ``slow``: the request is handled normally after ``delayMs``;
- ``timeout``: nothing happens and no response ever comes (the client times out);
- ``execute_then_hang``: the request takes effect, then the response never comes
  (``mode: "hang"``, until the client gives up) or the connection is closed after the
  status line (``mode: "close"``).

``path`` is a glob over the request path (default: ``/pts/v2/payments`` for the business
outcomes, ``*`` otherwise), ``method`` an HTTP method or ``*``; ``count`` how many requests
the outcome applies to.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import asdict, dataclass
from typing import Any

BUSINESS = frozenset({"decline", "review", "reject"})
TRANSPORT = frozenset({"server_error", "rate_limit", "slow", "timeout", "execute_then_hang"})


@dataclass
class Fault:
    outcome: str
    remaining: int = 1
    path: str = "*"
    method: str = "*"
    reason: str | None = None
    status: int = 502
    retry_after: int = 1
    delay_ms: int = 0
    mode: str = "hang"
    max_hang_ms: int = 300_000

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)


class Faults:
    def __init__(self) -> None:
        self._items: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> Fault:
        """Validate and queue a fault from a control request body (ValueError if bad)."""
        outcome = str(spec.get("outcome", ""))
        if outcome not in BUSINESS | TRANSPORT:
            raise ValueError(f"outcome must be one of {sorted(BUSINESS | TRANSPORT)}")
        count = int(spec.get("count", 1))
        if count < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(
            outcome=outcome,
            remaining=count,
            path=str(spec.get("path") or ("/pts/v2/payments" if outcome in BUSINESS else "*")),
            method=str(spec.get("method") or ("POST" if outcome in BUSINESS else "*")).upper(),
            reason=spec.get("reason"),
            status=int(spec.get("status", 502)),
            retry_after=int(spec.get("retryAfter", 1)),
            delay_ms=int(spec.get("delayMs", 0)),
            mode=str(spec.get("mode", "hang")),
            max_hang_ms=int(spec.get("maxHangMs", 300_000)),
        )
        if fault.mode not in ("hang", "close"):
            raise ValueError("mode must be hang or close")
        if outcome == "server_error" and not 500 <= fault.status <= 599:
            raise ValueError("status must be a 5xx code")
        with self._lock:
            self._items.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first queued fault matching this request, used up by one."""
        with self._lock:
            for fault in self._items:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._items.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._items]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
