"""The SL connector's fault-injection switch (tests and the demo; documented in the docs).

Modes:

* ``off`` - normal operation;
* ``unavailable`` - every SL call (writes and reads) raises :class:`TransientError`, as an outage
  or a network partition would; nothing is written;
* ``fail_next`` - the next write raises :class:`PermanentError` (then the switch turns off);
* ``fail_matching`` - every write whose business key contains ``match`` raises
  :class:`PermanentError`.

Set it from configuration (``sl.fault`` / ``SLPAY_SL__FAULT``, ``sl.fault_match`` /
``SLPAY_SL__FAULT_MATCH``) or programmatically: ``writer.faults.set("unavailable")``,
``writer.faults.clear()``. The check runs before any connection is opened.
"""

from __future__ import annotations

import threading
from typing import Literal

from slpay.connectors.dynamics_sl.db import SYSTEM
from slpay.errors import PermanentError, TransientError

Mode = Literal["off", "unavailable", "fail_next", "fail_matching"]
MODES: tuple[Mode, ...] = ("off", "unavailable", "fail_next", "fail_matching")


class FaultSwitch:
    """Thread-safe fault switch shared by a writer and its reader."""

    def __init__(self, mode: Mode = "off", match: str = "") -> None:
        self._lock = threading.Lock()
        self.mode: Mode = "off"
        self.match = ""
        self.set(mode, match)

    def set(self, mode: Mode, match: str = "") -> None:
        """Turn a fault on (``fail_matching`` needs a non-empty ``match``)."""
        if mode not in MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {', '.join(MODES)}")
        if mode == "fail_matching" and not match:
            raise ValueError("fail_matching needs the key text to match")
        with self._lock:
            self.mode, self.match = mode, match

    def clear(self) -> None:
        """Back to normal operation."""
        self.set("off")

    def check_available(self, operation: str) -> None:
        """Raise TransientError while SL is made unavailable."""
        if self.mode == "unavailable":
            raise TransientError(
                "SL unavailable (fault injection)",
                system=SYSTEM,
                operation=operation,
                reason="fault:unavailable",
            )

    def check_write(self, operation: str, key: str) -> None:
        """Raise the injected fault for a write with this business key, if any."""
        self.check_available(operation)
        with self._lock:
            fail = self.mode == "fail_next" or (self.mode == "fail_matching" and self.match in key)
            if self.mode == "fail_next":
                self.mode = "off"
        if fail:
            raise PermanentError(
                "SL write refused (fault injection)",
                system=SYSTEM,
                operation=operation,
                reason=f"fault:{key}",
            )
