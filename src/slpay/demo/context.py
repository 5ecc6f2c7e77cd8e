"""What the scenario steps share: the running world, the site, and what happened so far."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from slpay.demo.env import DemoEnv
from slpay.demo.shop import DemoOrder, Shop
from slpay.logs import get_logger

log = get_logger("slpay.demo")


@dataclass
class Placed:
    """An order the scenario placed, and how."""

    order: DemoOrder
    how: str
    payment_id: str = ""


@dataclass
class Context:
    """Passed to every step; steps add to ``placed``, ``notes``, ``injected`` and ``skipped``."""

    env: DemoEnv
    shop: Shop
    placed: dict[str, Placed] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Faults the scenario injected, by kind (dropped, duplicated, reordered webhooks; ...).
    injected: dict[str, int] = field(default_factory=dict)
    #: What the scenario saw happen on the way (e.g. events deferred during the SL outage).
    observed: dict[str, int] = field(default_factory=dict)
    #: Steps that could not run in this build, with the reason (printed, and in the JSON).
    skipped: list[str] = field(default_factory=list)

    def place(self, order: DemoOrder, how: str, payment_id: str = "") -> None:
        self.placed[order.number] = Placed(order, how, payment_id)

    def note(self, text: str) -> None:
        self.notes.append(text)
        log.info("demo.note", text=text)

    def inject(self, kind: str, count: int) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + count

    def settle(self, *, include_deferred: bool = False, timeout: float = 30.0) -> None:
        if not self.shop.settle(timeout, include_deferred=include_deferred):
            self.note(f"the hub was still busy after {timeout:.0f} s")


@dataclass(frozen=True)
class Step:
    """One scene of the story: a title for the reader and what it does."""

    title: str
    run: Callable[[Context], None]
